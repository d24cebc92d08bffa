"""The JSON shapes the API answers and the webhook sends; links are relative to the service's root."""

from typing import Any

from aoikit.labels.regions import Region
from aoikit.service.store import Alert, Inspection


def region_json(region: Region) -> dict[str, Any]:
    """A region as stored: box ``[x0, y0, x1, y1]`` (x1, y1 exclusive), outline ``[[x, y], …]``, scores, area and
    kind (``class_name``: "anomaly", or a type named by a supervised run)."""
    return {
        "class_name": region.class_name,
        "box": list(region.box),
        "polygon": [list(point) for point in region.polygon],
        "score_max": region.score_max,
        "score_mean": region.score_mean,
        "area": region.area,
    }


def inspection_links(inspection_id: str) -> dict[str, str]:
    """Where an inspection, its frame as sent, its anomaly map and its overlay are served."""
    base = f"/v1/inspections/{inspection_id}"
    return {"self": base, "image": f"{base}/image", "map": f"{base}/map.png", "overlay": f"{base}/overlay.png"}


def inspection_json(row: Inspection) -> dict[str, Any]:
    """An inspection as the API answers it."""
    return {
        "id": row.id,
        "created_at": row.created_at.isoformat(),
        "source": row.source,
        "line": row.line,
        "camera": row.camera,
        "part_id": row.part_id,
        "width": row.width,
        "height": row.height,
        "score": row.score,
        "decision": "anomalous" if row.anomalous else "good",
        "threshold": row.image_threshold,
        "pixel_threshold": row.pixel_threshold,
        "regions": row.regions,
        "image_sha256": row.image_sha256,
        "links": inspection_links(row.id),
        "model": {"name": row.model_name, "version": row.model_version, "backend": row.backend},
        "latency_ms": row.latency_ms,
        "model_ms": row.model_ms,
    }


def alert_json(alert: Alert, frames: list[str]) -> dict[str, Any]:
    """An alert with the frames it names (ids and links)."""
    return {
        "id": alert.id,
        "kind": alert.kind,
        "camera": alert.camera,
        "created_at": alert.created_at.isoformat(),
        "closed_at": None if alert.closed_at is None else alert.closed_at.isoformat(),
        "open": alert.closed_at is None,
        "message": alert.message,
        "details": alert.details,
        "delivery": alert.delivery,
        "attempts": alert.attempts,
        "acknowledged_at": None if alert.acknowledged_at is None else alert.acknowledged_at.isoformat(),
        "acknowledged_kind": alert.acknowledged_kind,
        "frames": [{"id": f, "links": inspection_links(f)} for f in frames],
    }
