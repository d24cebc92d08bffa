"""An alert's frames as a folder of images, the labelling task of the kind it shows (``aoikit alert-frames``).

The frames come from a running service (its HTTP API) or straight from its results database and image folder. The
folder holds each frame as it was sent, named ``<order>_<inspection id>.<suffix>`` in the order it was inspected,
and ``alert.json``: the alert and every frame's stored result; ``aoikit prelabel --images`` takes it as it is.
"""

import contextlib
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Protocol

from aoikit.errors import AoikitError
from aoikit.service.blobs import BlobStore
from aoikit.service.frames import MEDIA, sniff
from aoikit.service.store import ResultStore
from aoikit.service.views import alert_json, inspection_json
from aoikit.webguard import TOKEN_HEADER

MANIFEST = "alert.json"


class FrameSource(Protocol):
    """Where an alert and its frames are read from."""

    def frames(self, alert_id: str) -> dict[str, Any]:
        """``{"alert": …, "frames": […]}`` as ``GET /v1/alerts/{id}/frames`` answers."""
        ...

    def image(self, inspection_id: str) -> bytes:
        """The frame of an inspection as it was sent."""
        ...


class ServiceSource:
    """A running service, by its URL (and API key, off loopback)."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url, self.token = url.rstrip("/"), token

    def _get(self, path: str) -> bytes:
        request = urllib.request.Request(self.url + path, headers={TOKEN_HEADER: self.token} if self.token else {})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            with contextlib.suppress(ValueError, KeyError, TypeError):
                detail = json.loads(detail)["detail"]
            raise AoikitError(f"{self.url}{path}: {exc.code} {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise AoikitError(f"{self.url}: cannot reach the service ({getattr(exc, 'reason', exc)})") from None

    def frames(self, alert_id: str) -> dict[str, Any]:
        return dict(json.loads(self._get(f"/v1/alerts/{alert_id}/frames")))

    def image(self, inspection_id: str) -> bytes:
        return self._get(f"/v1/inspections/{inspection_id}/image")


class StoreSource:
    """A results database and its image folder, read directly."""

    def __init__(self, store: ResultStore, blobs: BlobStore) -> None:
        self.store, self.blobs = store, blobs

    def frames(self, alert_id: str) -> dict[str, Any]:
        view = self.store.alert(alert_id)
        if view is None:
            raise AoikitError(f"no alert {alert_id} in {self.store.engine.url.render_as_string(hide_password=True)}")
        rows = self.store.get_many(view.frames)
        return {"alert": alert_json(view.alert, view.frames), "frames": [inspection_json(r) for r in rows]}

    def image(self, inspection_id: str) -> bytes:
        row = self.store.get(inspection_id)
        if row is None:
            raise AoikitError(f"no inspection {inspection_id}")
        try:
            return self.blobs.read(row.image_sha256)
        except OSError as exc:
            raise AoikitError(f"frame {inspection_id}: its image is missing ({exc.strerror or exc})") from None


def export_alert_frames(source: FrameSource, alert_id: str, out: Path) -> list[Path]:
    """Write the frames alert ``alert_id`` names into the new or empty folder ``out``, with :data:`MANIFEST`.

    Raises:
        AoikitError: ``out`` holds files already, the alert or a frame is not found, or the service cannot be
            reached.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise AoikitError(f"{out}: exists and is not an empty folder; pick a new one")
    task = source.frames(alert_id)
    images = [(frame["id"], source.image(frame["id"])) for frame in task["frames"]]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for order, (inspection_id, data) in enumerate(images):
        path = out / f"{order:04d}_{inspection_id}{MEDIA[sniff(data)][1]}"
        path.write_bytes(data)
        written.append(path)
    (out / MANIFEST).write_text(json.dumps(task, indent=1) + "\n")
    return written
