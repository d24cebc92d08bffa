"""The inspection API and the quality engineer's page, over one :class:`Inspector`.

Inspection runs in a worker thread; the frame and its result are durable before the answer is sent (see
:mod:`aoikit.service.inspector`), and the map and overlay are drawn when first asked for. Every error is
a JSON ``{"detail": …}`` with a 4xx status (500 without a traceback for a fault of our own). The guards of
:mod:`aoikit.webguard` come first: only the bound host names, bodies up to ``max_upload``, and the API key
off loopback. A browser may change nothing from another site's page: requests that are not GET need no
``Origin`` header or one that matches the host.
"""

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from aoikit.errors import AoikitError
from aoikit.service.alert_routes import alert_router
from aoikit.service.api_params import RowId
from aoikit.service.frames import FrameError, check_frame
from aoikit.service.inspector import FrameMeta, Inspector
from aoikit.service.metrics import CountRequests
from aoikit.service.store import Inspection, InspectionFilter
from aoikit.service.views import alert_json, inspection_json
from aoikit.webguard import SameOriginChanges, guard

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
Key = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
MAX_OFFSET = 1_000_000_000
"""Deepest page offset of a listing (larger ones are 422: no database need take them)."""
IGNORED_FIELDS = ("token",)
"""Query fields that are not frame metadata (the API key, when given in the URL)."""


class Metadata(BaseModel):
    """What a client may send with a frame: line, camera, part id, and a key that makes a retry safe."""

    model_config = ConfigDict(extra="forbid")

    line: Name = ""
    camera: Name = ""
    part_id: Name = ""
    key: Key | None = None


def make_app(inspector: Inspector, host: str = "127.0.0.1", token: str | None = None) -> FastAPI:
    """The service app for ``inspector``, guarded for a server bound to ``host`` (``token``: the API key)."""
    app = FastAPI(title="aoikit inspection", docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    store, config, metrics = inspector.store, inspector.config, inspector.metrics

    app.add_middleware(SameOriginChanges)
    app.add_middleware(CountRequests, metrics=metrics)

    @app.exception_handler(FrameError)
    async def frame_error(request: Request, exc: FrameError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(AoikitError)
    async def aoikit_error(request: Request, exc: AoikitError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(Exception)
    async def fault(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; the server log has the details"}, status_code=500)

    @app.post("/v1/inspect")
    async def inspect(request: Request) -> JSONResponse:
        frames, meta = await _upload(request, "image")
        if len(frames) != 1:
            raise FrameError(422, f"send one image (field 'image', or the raw body), got {len(frames)}")
        row, new = await run_in_threadpool(inspector.inspect, frames[0], _frame_meta(meta), "api", meta.key)
        return JSONResponse(inspection_json(row), status_code=201 if new else 200)

    @app.post("/v1/inspect/batch")
    async def inspect_batch(request: Request) -> JSONResponse:
        frames, meta = await _upload(request, "images")
        if not 1 <= len(frames) <= config.max_batch:
            raise FrameError(422, f"send 1 to {config.max_batch} images in field 'images', got {len(frames)}")
        for index, data in enumerate(frames):  # refuse the batch whole before storing any of it
            try:
                check_frame(data, config.max_pixels)
            except FrameError as exc:
                raise FrameError(exc.status, f"images[{index}]: {exc}") from None
        results: list[dict[str, Any]] = []
        for index, data in enumerate(frames):
            key = None if meta.key is None else f"{meta.key}:{index}"
            try:
                row, _ = await run_in_threadpool(inspector.inspect, data, _frame_meta(meta), "api", key)
                results.append(inspection_json(row))
            except FrameError as exc:
                results.append({"error": {"status": exc.status, "detail": f"images[{index}]: {exc}"}})
        return JSONResponse({"results": results})

    @app.get("/v1/inspections")
    async def inspections(
        since: datetime | None = None,
        until: datetime | None = None,
        decision: Literal["good", "anomalous"] | None = None,
        camera: Annotated[str | None, Query(max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> dict[str, Any]:
        anomalous = None if decision is None else decision == "anomalous"
        where = InspectionFilter(_utc(since), _utc(until), anomalous, camera)
        rows, total = await run_in_threadpool(store.inspections, where, limit, offset)
        return {"items": [inspection_json(r) for r in rows], "total": total, "limit": limit, "offset": offset}

    @app.get("/v1/inspections/{inspection_id}")
    async def inspection(inspection_id: RowId) -> dict[str, Any]:
        return inspection_json(await _found(inspector, inspection_id))

    @app.get("/v1/inspections/{inspection_id}/map.png")
    async def anomaly_map(inspection_id: RowId) -> Response:
        return await _picture(inspector, inspection_id, 0)

    @app.get("/v1/inspections/{inspection_id}/overlay.png")
    async def overlay(inspection_id: RowId) -> Response:
        return await _picture(inspector, inspection_id, 1)

    @app.get("/v1/alerts")
    async def alerts(
        status: Literal["open", "all"] = "all", limit: Annotated[int, Query(ge=1, le=500)] = 100
    ) -> dict[str, Any]:
        await run_in_threadpool(inspector.settle)
        views = await run_in_threadpool(store.alerts, status == "open", limit)
        return {"items": [alert_json(v.alert, v.frames) for v in views]}

    @app.post("/v1/alerts/{alert_id}/close")
    async def close_alert(alert_id: RowId) -> dict[str, str]:
        if not await run_in_threadpool(store.close_alert, alert_id, datetime.now(UTC)):
            raise HTTPException(404, f"no open alert {alert_id}")
        return {"id": alert_id, "status": "closed"}

    app.include_router(alert_router(inspector))

    @app.get("/v1/rate")
    async def rate(
        hours: Annotated[float, Query(gt=0, le=24 * 31)] = 24.0, buckets: Annotated[int, Query(ge=1, le=500)] = 48
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        since = now - timedelta(hours=hours)
        decisions = await run_in_threadpool(store.decisions_since, since)
        width = (now - since) / buckets
        counts = [[0, 0] for _ in range(buckets)]
        for when, anomalous in decisions:
            slot = counts[min(int((when - since) / width), buckets - 1)]
            slot[0] += 1
            slot[1] += anomalous
        starts = [since + width * i for i in range(buckets)]
        return {
            "expected_rate": inspector.expected_rate,
            "buckets": [
                {"start": s.isoformat(), "frames": f, "anomalous": a} for s, (f, a) in zip(starts, counts, strict=True)
            ],
        }

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "model": _model(inspector)}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        try:
            await run_in_threadpool(store.ping)
        except Exception as exc:  # any failure to reach the database means not ready
            return JSONResponse(
                {"status": "not ready", "detail": f"database: {exc.__class__.__name__}"}, status_code=503
            )
        return JSONResponse({"status": "ready", "model": _model(inspector), "database": store.engine.dialect.name})

    @app.get("/metrics")
    async def prometheus() -> Response:
        await run_in_threadpool(inspector.settle)
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.get("/")
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    guard(app, host, token, max_body=config.max_upload)
    return app


async def _upload(request: Request, field: str) -> tuple[list[bytes], Metadata]:
    """The frames in ``field`` of a multipart form (or the raw body as one frame) and the metadata sent with them.

    Multipart metadata comes as form fields, raw-body metadata as query fields; the key may also come as the
    ``Idempotency-Key`` header.
    """
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1000, max_fields=100)
        frames = [await part.read() for part in form.getlist(field) if isinstance(part, UploadFile)]
        values = {k: v for k, v in form.multi_items() if k != field and isinstance(v, str)}
        if len(frames) != len(form.getlist(field)):
            raise FrameError(422, f"field '{field}' must hold files, not text")
    else:
        frames = [await request.body()]
        values = {k: v for k, v in request.query_params.items() if k not in IGNORED_FIELDS}
    if (key := request.headers.get("idempotency-key")) is not None:
        values.setdefault("key", key)
    try:
        return frames, Metadata(**values)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


def _frame_meta(meta: Metadata) -> FrameMeta:
    return FrameMeta(line=meta.line, camera=meta.camera, part_id=meta.part_id)


def _utc(when: datetime | None) -> datetime | None:
    """``when`` in UTC; a time without a zone is taken as UTC."""
    if when is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=UTC)


async def _found(inspector: Inspector, inspection_id: str) -> Inspection:
    row = await run_in_threadpool(inspector.store.get, inspection_id)
    if row is None:
        raise HTTPException(404, f"no inspection {inspection_id}")
    return row


async def _picture(inspector: Inspector, inspection_id: str, which: int) -> Response:
    """The map (``which`` 0) or overlay (1) PNG of an inspection, drawn now if it never was."""
    row = await _found(inspector, inspection_id)
    digest = (await run_in_threadpool(inspector.pictures, row))[which]
    return Response(await run_in_threadpool(inspector.blobs.read, digest), media_type="image/png", headers=IMMUTABLE)


def _model(inspector: Inspector) -> dict[str, str]:
    model = inspector.model
    return {"name": model.name, "version": model.version, "backend": model.backend}
