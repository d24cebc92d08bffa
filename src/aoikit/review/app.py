"""The review web app: one static page and a JSON API over a :class:`ReviewSession`.

Handlers are ``async`` and never await, so they run one at a time on the event loop: no two
changes to the state interleave. Requests that change anything must carry the ``X-Aoikit-Review``
header, which other web sites cannot add without the browser asking first (and being refused), so
a page open in another tab cannot change the review. The guards of :mod:`aoikit.webguard` come
first: only the bound host names, bodies of at most 64 KiB, and a token when bound off loopback.
"""

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import Annotated, Any

import cv2
import numpy as np
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, StringConstraints

from aoikit.data.image_io import IMAGE_EXTENSIONS, read_gray
from aoikit.errors import AoikitError
from aoikit.folder_lock import lock_folder
from aoikit.review.export import export_review
from aoikit.review.session import NotFoundError, ReviewSession
from aoikit.review.state import Status, remove_stale_temps
from aoikit.webguard import BoundServer, OutsideRootError, bind, confine, guard, is_loopback, new_token, server_url

STATIC = Path(__file__).with_name("static")
CHANGE_HEADER = "X-Aoikit-Review"
BROWSER_FORMATS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"})
Box = Annotated[list[Annotated[float, Field(allow_inf_nan=False)]], Field(min_length=4, max_length=4)]
ClassName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
]


class NewBox(BaseModel):
    """A box the reviewer drew, ``[x0, y0, x1, y1]`` in image pixels; a class name is one line of text."""

    box: Box
    class_name: ClassName = "anomaly"


class RegionChange(BaseModel):
    """A new box and/or status for a region."""

    box: Box | None = None
    status: Status | None = None


class ImageStatus(BaseModel):
    """A new status for an image."""

    status: Status


class Position(BaseModel):
    """The image the reviewer moved to."""

    index: int


def make_app(
    labels_dir: Path,
    images_dir: Path,
    export_dir: Path | None = None,
    host: str = "127.0.0.1",
    token: str | None = None,
) -> FastAPI:
    """The review app of a pre-label folder, without serving it (nor locking the folder: see :func:`review_server`).

    Args:
        labels_dir: output folder of ``prelabel``; the review state is kept in its ``review.json``.
        images_dir: folder holding the images, found by the longest tail of their labelled paths; used for
            images the review state names outside ``labels_dir`` (pre-label datasets hold copies, served first).
        export_dir: where the export button writes; default ``labels_dir/reviewed``.
        host: the address it will be bound to, which sets the Host names accepted (``webguard.trusted_hosts``).
        token: if given, every request must carry it (see :class:`aoikit.webguard.TokenGuard`).
    """
    session = ReviewSession(labels_dir)
    find_source = image_finder(images_dir)

    def find_image(image_path: str) -> Path:
        copy = labels_dir / image_path
        if not PurePath(image_path).is_absolute() and copy.is_file():  # the copy in a pre-label dataset
            return confine(labels_dir, copy)
        return find_source(image_path)

    out_dir = labels_dir / "reviewed" if export_dir is None else export_dir
    app = FastAPI(title="aoikit review", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def changes_from_the_page_only(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.method not in ("GET", "HEAD") and CHANGE_HEADER.lower() not in request.headers:
            return JSONResponse({"detail": f"changes need the {CHANGE_HEADER} header"}, status_code=403)
        return await call_next(request)

    @app.exception_handler(AoikitError)
    async def aoikit_error(request: Request, exc: AoikitError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFoundError) else 403 if isinstance(exc, OutsideRootError) else 400
        return JSONResponse({"detail": str(exc)}, status_code=status)

    def view(index: int, **extra: Any) -> dict[str, Any]:
        return {**session.overview(), "index": index, "image": session.image(index), **extra}

    @app.get("/")
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/api/overview")
    async def overview() -> dict[str, Any]:
        return session.overview()

    @app.put("/api/current")
    async def go_to(body: Position) -> dict[str, Any]:
        session.go_to(body.index)
        return view(body.index)

    @app.get("/api/images/{index}")
    async def image(index: int) -> dict[str, Any]:
        return view(index)

    @app.get("/api/images/{index}/pixels")
    async def pixels(index: int) -> Response:
        path = find_image(session.image(index)["image_path"])
        if path.suffix.lower() in BROWSER_FORMATS:
            return FileResponse(path)
        _, png = cv2.imencode(".png", (read_gray(path) * 255).round().astype(np.uint8))
        return Response(png.tobytes(), media_type="image/png")

    @app.post("/api/images/{index}/accept")
    async def accept(index: int) -> dict[str, Any]:
        session.accept_image(index)
        return view(index)

    @app.put("/api/images/{index}/status")
    async def image_status(index: int, body: ImageStatus) -> dict[str, Any]:
        session.set_image_status(index, body.status)
        return view(index)

    @app.post("/api/images/{index}/regions")
    async def add_region(index: int, body: NewBox) -> dict[str, Any]:
        return view(index, created=session.add_region(index, body.box, body.class_name))

    @app.patch("/api/images/{index}/regions/{region_id}")
    async def change_region(index: int, region_id: int, body: RegionChange) -> dict[str, Any]:
        session.update_region(index, region_id, body.box, body.status)
        return view(index)

    @app.delete("/api/images/{index}/regions/{region_id}")
    async def delete_region(index: int, region_id: int) -> dict[str, Any]:
        session.delete_region(index, region_id)
        return view(index)

    @app.post("/api/export")
    async def export() -> dict[str, Any]:
        written = export_review(labels_dir, out_dir)
        accepted = session.overview()["statuses"].count("accepted")
        return {"out_dir": str(out_dir), "images": accepted, "files": {k: len(v) for k, v in written.items()}}

    guard(app, host, token)
    return app


def image_finder(images_dir: Path) -> Callable[[str], Path]:
    """A function finding a labelled image path under ``images_dir`` by its longest matching tail.

    ``/data/test/crack/000.png`` is found as ``images_dir/crack/000.png`` before ``images_dir/000.png``.
    The path found is resolved; one that leads out of ``images_dir`` (a symlink) raises ``OutsideRootError``.

    Raises:
        AoikitError: ``images_dir`` is not a folder.
    """
    if not images_dir.is_dir():
        raise AoikitError(f"{images_dir}: not a folder of images")
    by_tail = {
        p.relative_to(images_dir).as_posix(): p for p in images_dir.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS
    }

    def find(image_path: str) -> Path:
        parts = PurePath(image_path.replace("\\", "/")).parts
        for depth in range(len(parts), 0, -1):
            if (hit := by_tail.get("/".join(parts[-depth:]))) is not None:
                return confine(images_dir, hit)
        raise NotFoundError(f"{image_path}: no such image under {images_dir}")

    return find


@contextmanager
def review_server(
    labels_dir: Path, images_dir: Path, host: str = "127.0.0.1", port: int = 8765, export_dir: Path | None = None
) -> Iterator[BoundServer]:
    """The review server of ``labels_dir``, bound and ready to serve; see :func:`make_app`.

    It holds the folder's lock while open, so a second server on the folder is refused, and removes
    temp files a crashed one left. Off loopback, it makes a token that every request must carry.

    Raises:
        AoikitError: the folder is in use, its pre-labels or review state are unreadable, or the port is busy.
    """
    with lock_folder(labels_dir, "aoikit review"):
        remove_stale_temps(labels_dir)
        token = None if is_loopback(host) else new_token()
        app = make_app(labels_dir, images_dir, export_dir, host=host, token=token)
        with bind(host, port) as sock:
            server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
            yield BoundServer(server, sock, server_url(host, sock.getsockname()[1], token))
