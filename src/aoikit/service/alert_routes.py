"""Routes of a person working an alert: read it, acknowledge it (naming the kind it shows), and fetch its frames
as they were sent, the labelling task of a new kind (``aoikit alert-frames`` writes them to a folder)."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.concurrency import run_in_threadpool

from aoikit.service.api_params import RowId
from aoikit.service.frames import MEDIA, sniff
from aoikit.service.inspector import Inspector
from aoikit.service.store import AlertView
from aoikit.service.views import alert_json, inspection_json

KindName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
"""A kind of anomaly as a person names it; it becomes a defect folder name, so letters, digits, ``_.-``."""


class Acknowledgement(BaseModel):
    """What a person says about an alert: the kind of anomaly it shows (none: looked at, not named)."""

    model_config = ConfigDict(extra="forbid")

    kind: KindName | None = None


def alert_router(inspector: Inspector) -> APIRouter:
    """The alert routes over ``inspector``'s store and frames."""
    router = APIRouter()
    store = inspector.store

    async def found(alert_id: str) -> AlertView:
        await run_in_threadpool(inspector.settle)  # every frame answered here is checked
        view = await run_in_threadpool(store.alert, alert_id)
        if view is None:
            raise HTTPException(404, f"no alert {alert_id}")
        return view

    @router.get("/v1/alerts/{alert_id}")
    async def alert(alert_id: RowId) -> dict[str, Any]:
        view = await found(alert_id)
        return alert_json(view.alert, view.frames)

    @router.post("/v1/alerts/{alert_id}/ack")
    async def acknowledge(alert_id: RowId, body: Acknowledgement | None = None) -> dict[str, Any]:
        kind = None if body is None else body.kind
        if not await run_in_threadpool(store.acknowledge_alert, alert_id, kind, datetime.now(UTC)):
            raise HTTPException(404, f"no alert {alert_id}")
        view = await found(alert_id)
        return alert_json(view.alert, view.frames)

    @router.get("/v1/alerts/{alert_id}/frames")
    async def frames(alert_id: RowId) -> dict[str, Any]:
        view = await found(alert_id)
        rows = await run_in_threadpool(store.get_many, view.frames)
        return {"alert": alert_json(view.alert, view.frames), "frames": [inspection_json(r) for r in rows]}

    @router.get("/v1/inspections/{inspection_id}/image")
    async def image(inspection_id: RowId) -> Response:
        row = await run_in_threadpool(store.get, inspection_id)
        if row is None:
            raise HTTPException(404, f"no inspection {inspection_id}")
        data = await run_in_threadpool(inspector.blobs.read, row.image_sha256)
        media_type = MEDIA[sniff(data)][0]
        return Response(data, media_type=media_type, headers={"Cache-Control": "public, max-age=31536000, immutable"})

    return router
