"""The inspection API end to end on a tiny run of each family: inspect, look up, list, alerts, health, metrics."""

from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the inspection service needs the serve extra")
from fastapi.testclient import TestClient

from aoikit.models.onnx_backend import onnx_available
from aoikit.service.app import make_app

Client = Callable[..., tuple[TestClient, Any]]


@pytest.fixture
def client(open_service: Callable[..., Any]) -> Client:
    """``client(family, host=…, token=…, **settings)``: a TestClient of the service and its inspector."""

    def make(family: str = "ssim_ae", host: str = "127.0.0.1", token: str | None = None, **settings: Any) -> Any:
        inspector = open_service(family, **settings)
        app = make_app(inspector, host, token)
        return TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False), inspector

    return make


@pytest.mark.parametrize("family", ["ssim_ae", "ganomaly", "patchcore"])
def test_inspect_look_up_and_list_with_each_family(
    family: str, client: Client, runs: dict[str, Any], bad_png: Callable[[int], bytes]
) -> None:
    api, inspector = client(family)
    good = runs[family][1][0]
    raw = api.post("/v1/inspect", content=bad_png(1), params={"line": "L1", "camera": "cam1", "part_id": "P-7"})
    assert raw.status_code == 201, raw.text
    result = raw.json()
    assert (result["decision"], result["line"], result["camera"], result["part_id"]) == (
        "anomalous",
        "L1",
        "cam1",
        "P-7",
    )
    assert result["score"] > result["threshold"] == pytest.approx(inspector.detector.image_threshold_)
    backend = inspector.detector.backend  # GANomaly runs its generator through onnxruntime when installed
    assert backend == (
        "torch" if family in ("ssim_ae", "patchcore") else "onnxruntime" if onnx_available() else "torch"
    )
    assert result["model"] == {"name": inspector.model.name, "version": inspector.model.version, "backend": backend}
    assert result["latency_ms"] > 0 and (result["width"], result["height"]) == (64, 64)
    [region] = result["regions"]
    x0, y0, x1, y1 = region["box"]
    assert x0 <= 20 and x1 >= 44 and y0 <= 20 and y1 >= 44, region["box"]  # the square, 20–44
    if family != "patchcore":  # 8-px features and a 16-px deep layer on a 64-px frame: PatchCore's region is coarser
        assert x0 >= 8 and x1 <= 56 and y0 >= 8 and y1 <= 56, region["box"]
    assert region["area"] > 300 and len(region["polygon"]) >= 4 and region["score_max"] >= region["score_mean"]

    form = api.post("/v1/inspect", files={"image": ("any-name.jpg", good, "image/jpeg")}, data={"camera": "cam2"})
    assert form.status_code == 201 and form.json()["decision"] == "good" and form.json()["regions"] == []

    assert api.get(result["links"]["self"]).json() == result
    for link in ("map", "overlay"):
        picture = api.get(result["links"][link])
        assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
        assert picture.content.startswith(b"\x89PNG")
    listed = api.get("/v1/inspections").json()
    assert listed["total"] == 2 and [i["id"] for i in listed["items"]] == [form.json()["id"], result["id"]]
    assert [i["id"] for i in api.get("/v1/inspections", params={"decision": "anomalous"}).json()["items"]] == [
        result["id"]
    ]
    assert api.get("/v1/inspections", params={"camera": "cam2"}).json()["total"] == 1
    later = api.get("/v1/inspections", params={"since": result["created_at"], "limit": 1, "offset": 0}).json()
    assert later["total"] == 2 and len(later["items"]) == 1
    assert api.get("/v1/inspections", params={"until": result["created_at"]}).json()["total"] == 0


def test_a_retry_with_the_same_key_returns_the_stored_result(client: Client, bad_png: Callable[[int], bytes]) -> None:
    api, _ = client()
    first = api.post("/v1/inspect", content=bad_png(1), headers={"Idempotency-Key": "cam1-000017"})
    again = api.post("/v1/inspect", content=bad_png(1), headers={"Idempotency-Key": "cam1-000017"})
    assert (first.status_code, again.status_code) == (201, 200) and again.json() == first.json()
    by_field = api.post("/v1/inspect", files={"image": ("f.png", bad_png(1))}, data={"key": "cam1-000017"})
    assert by_field.json()["id"] == first.json()["id"]
    assert api.get("/v1/inspections").json()["total"] == 1


def test_a_batch_is_inspected_in_order_and_refused_whole_for_one_bad_frame(
    client: Client, runs: dict[str, Any], bad_png: Callable[[int], bytes]
) -> None:
    api, _ = client(max_batch=3)
    good = runs["ssim_ae"][1][0]
    files = [("images", (f"{i}.png", data)) for i, data in enumerate([good, bad_png(1), bad_png(2)])]
    batch = api.post("/v1/inspect/batch", files=files, data={"camera": "cam3"})
    assert batch.status_code == 200, batch.text
    assert [r["decision"] for r in batch.json()["results"]] == ["good", "anomalous", "anomalous"]
    broken = [("images", ("a.png", good)), ("images", ("b.png", b"GIF89a not accepted"))]
    refused = api.post("/v1/inspect/batch", files=broken)
    assert refused.status_code == 415 and refused.json()["detail"].startswith("images[1]:")
    too_many = api.post("/v1/inspect/batch", files=[*files, ("images", ("3.png", good))])
    assert too_many.status_code == 422 and "1 to 3 images" in too_many.json()["detail"]
    assert api.get("/v1/inspections").json()["total"] == 3


def test_a_burst_of_anomalous_frames_raises_a_rate_alert_naming_them(
    client: Client, runs: dict[str, Any], bad_png: Callable[[int], bytes]
) -> None:
    api, _ = client(alert_window=20)
    for data in runs["ssim_ae"][1][:4]:
        api.post("/v1/inspect", content=data, params={"camera": "cam1"})
    assert api.get("/v1/alerts").json()["items"] == []
    ids = [api.post("/v1/inspect", content=bad_png(s), params={"camera": "cam1"}).json()["id"] for s in range(4)]
    [alert] = api.get("/v1/alerts", params={"status": "open"}).json()["items"]
    assert alert["kind"] == "rate" and alert["open"] and alert["camera"] == "cam1"
    assert {f["id"] for f in alert["frames"]} <= set(ids) and len(alert["frames"]) >= 2
    assert api.post(f"/v1/alerts/{alert['id']}/close").json()["status"] == "closed"
    assert api.get("/v1/alerts", params={"status": "open"}).json()["items"] == []
    assert api.post(f"/v1/alerts/{alert['id']}/close").status_code == 404
    rate = api.get("/v1/rate", params={"hours": 1, "buckets": 4}).json()
    assert sum(b["frames"] for b in rate["buckets"]) == 8 and sum(b["anomalous"] for b in rate["buckets"]) == 4
    assert rate["expected_rate"] == pytest.approx(0.01)


def test_health_readiness_and_metrics_name_the_backend_and_count(
    client: Client, bad_png: Callable[[int], bytes]
) -> None:
    api, inspector = client()
    assert api.get("/healthz").json()["model"]["backend"] == "torch"
    ready = api.get("/readyz").json()
    assert ready["status"] == "ready" and ready["database"] == "sqlite" and ready["model"]["name"] == "ssim_ae"
    api.post("/v1/inspect", content=bad_png(1))
    api.post("/v1/inspect", content=b"nope")
    text = api.get("/metrics").text
    assert 'aoikit_http_requests_total{method="POST",route="/v1/inspect",status="201"} 1.0' in text
    assert 'aoikit_http_requests_total{method="POST",route="/v1/inspect",status="415"} 1.0' in text
    assert (
        "aoikit_inspection_seconds_count 1.0" in text and 'aoikit_inspections_total{decision="anomalous"} 1.0' in text
    )
    assert 'aoikit_anomaly_rate{camera=""} 1.0' in text and "aoikit_expected_anomaly_rate 0.01" in text

    def unreachable() -> None:
        raise ConnectionRefusedError("database down")

    inspector.store.ping = unreachable
    not_ready = api.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.json()["status"] == "not ready"


def test_the_page_is_served(client: Client) -> None:
    api, _ = client()
    page = api.get("/")
    assert page.status_code == 200 and "aoikit inspection" in page.text
    assert api.get("/static/page.js").status_code == 200
