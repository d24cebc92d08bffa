"""The answer waits for no picture: maps and overlays are drawn from the stored frame when first asked for, the same
as if drawn at once, and kept; the frame is durable before its row; the model's own time comes with each result."""

from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the inspection service needs the serve extra")
from fastapi.testclient import TestClient

from aoikit.data.image_io import decode_gray
from aoikit.service import server
from aoikit.service.app import make_app
from aoikit.service.render import map_png, overlay_png


@pytest.fixture
def service(open_service: Callable[..., Any]) -> Callable[..., tuple[TestClient, Any]]:
    def make(family: str = "ganomaly") -> tuple[TestClient, Any]:
        inspector = open_service(family)
        return TestClient(
            make_app(inspector), base_url="http://127.0.0.1:8000", raise_server_exceptions=False
        ), inspector

    return make


def blobs(inspector: Any) -> set[str]:
    return {p.name for p in inspector.blobs.root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("family", ["ssim_ae", "ganomaly"])
def test_pictures_are_drawn_when_first_asked_for_as_they_would_have_been_at_once(
    family: str, service: Callable[..., Any], bad_png: Callable[[int], bytes]
) -> None:
    api, inspector = service(family)
    result = api.post("/v1/inspect", content=bad_png(1)).json()
    row = inspector.store.get(result["id"])
    assert (row.map_sha256, row.overlay_sha256) == (None, None) and blobs(inspector) == {result["image_sha256"]}
    assert result["latency_ms"] > result["model_ms"] > 0

    calls: list[int] = []
    analyse = inspector.detector.analyse
    inspector.detector.analyse = lambda image: calls.append(1) or analyse(image)
    overlay = api.get(result["links"]["overlay"])
    drawn = api.get(result["links"]["map"])
    again = api.get(result["links"]["map"])
    assert overlay.status_code == drawn.status_code == 200 and again.content == drawn.content
    assert len(calls) == 1  # drawn once, then served from the blob store

    image = decode_gray(bad_png(1), "frame")
    anomaly_map = analyse(image).maps[inspector.detector.config.window]
    threshold = inspector.detector.threshold_
    assert drawn.content == map_png(anomaly_map, threshold)
    assert overlay.content == overlay_png(image, anomaly_map > threshold)
    row = inspector.store.get(result["id"])
    assert inspector.blobs.read(row.map_sha256) == drawn.content
    assert inspector.blobs.read(row.overlay_sha256) == overlay.content


def test_a_result_of_another_model_or_a_lost_frame_is_refused_in_one_line(
    service: Callable[..., Any], bad_png: Callable[[int], bytes]
) -> None:
    api, inspector = service()
    first = api.post("/v1/inspect", content=bad_png(1)).json()
    second = api.post("/v1/inspect", content=bad_png(2)).json()
    with inspector.store.engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE inspections SET model_version = 'older' WHERE id = '{first['id']}'")
    refused = api.get(first["links"]["map"])
    assert refused.status_code == 409 and "older" in refused.json()["detail"]
    inspector.blobs.path(second["image_sha256"]).unlink()
    gone = api.get(second["links"]["overlay"])
    assert gone.status_code == 410 and "cannot be read" in gone.json()["detail"]


def test_no_row_is_committed_unless_its_frame_is_durable(
    service: Callable[..., Any], bad_png: Callable[[int], bytes]
) -> None:
    api, inspector = service()
    put = inspector.blobs.put

    def full_disk(data: bytes) -> str:
        raise OSError(28, "No space left on device")

    inspector.blobs.put = full_disk
    assert api.post("/v1/inspect", content=bad_png(1)).status_code == 500
    assert api.get("/v1/inspections").json()["total"] == 0
    inspector.blobs.put = put
    result = api.post("/v1/inspect", content=bad_png(1)).json()
    assert inspector.blobs.path(result["image_sha256"]).read_bytes() == bad_png(1)


def test_serve_falls_back_to_torch_when_the_network_does_not_export(
    runs: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("onnxruntime")
    assert server.serving_detector(runs["ssim_ae"][0]).backend == "onnxruntime"

    def cannot_export(self: Any) -> bytes:
        raise RuntimeError("Exporting the operator 'aten::strange' to ONNX opset version 17 is not supported")

    monkeypatch.setattr("aoikit.models.ssim_ae.detector.SSIMAEDetector.onnx_graph", cannot_export)
    assert server.serving_detector(runs["ssim_ae"][0]).backend == "torch"
    assert "aten::strange" in caplog.text
