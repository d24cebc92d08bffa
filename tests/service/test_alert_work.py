"""Working an alert: acknowledge it and name its kind (API and stored), fetch its frames as sent, and export them
with ``aoikit alert-frames`` into a folder ``aoikit prelabel`` takes."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the inspection service needs the serve extra")
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aoikit.cli import app
from aoikit.service.app import make_app
from aoikit.service.inspector import FrameMeta


@pytest.fixture
def alerted(open_service: Callable[..., Any], bad_png: Callable[[int], bytes]) -> tuple[TestClient, Any, list[bytes]]:
    """A service whose rate alert opened over the first bad frames: its client, inspector and the frames it names
    as sent."""
    inspector = open_service("ssim_ae", alert_window=3, false_alarm_rate=0.01)
    sent = {inspector.inspect(bad_png(seed), FrameMeta(camera="cam1"), "api")[0].id: bad_png(seed) for seed in range(3)}
    inspector.settle()
    [view] = inspector.store.alerts()
    frames = [sent[i] for i in sent if i in view.frames]
    assert len(frames) >= 2
    api = TestClient(make_app(inspector), base_url="http://127.0.0.1:8000", raise_server_exceptions=False)
    return api, inspector, frames


def test_an_alert_is_acknowledged_with_its_kind_and_shown(alerted: tuple[TestClient, Any, list[bytes]]) -> None:
    api, inspector, _ = alerted
    [alert] = api.get("/v1/alerts").json()["items"]
    assert alert["acknowledged_at"] is None and alert["acknowledged_kind"] is None
    answer = api.post(f"/v1/alerts/{alert['id']}/ack", json={"kind": "scratch_neck"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["acknowledged_kind"] == "scratch_neck" and answer.json()["open"]
    [listed] = api.get("/v1/alerts").json()["items"]
    assert listed["acknowledged_kind"] == "scratch_neck" and listed["acknowledged_at"] is not None
    assert api.get(f"/v1/alerts/{alert['id']}").json() == listed
    inspector.settle()
    [view] = inspector.store.alerts()
    assert view.alert.acknowledged_kind == "scratch_neck"  # stored, not only answered
    assert api.post(f"/v1/alerts/{alert['id']}/ack").json()["acknowledged_kind"] is None  # looked at, not named


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/v1/alerts/ALERT/ack", {"kind": "../etc"}, 422),
        ("/v1/alerts/ALERT/ack", {"kind": ""}, 422),
        ("/v1/alerts/ALERT/ack", {"kind": "x", "severity": 3}, 422),
        ("/v1/alerts/" + "0" * 32 + "/ack", {"kind": "x"}, 404),
        ("/v1/alerts/not-an-id/ack", {"kind": "x"}, 422),
    ],
)
def test_bad_acknowledgements_are_refused_and_change_nothing(
    path: str, body: dict[str, Any], status: int, alerted: tuple[TestClient, Any, list[bytes]]
) -> None:
    api, inspector, _ = alerted
    inspector.settle()
    [view] = inspector.store.alerts()
    answer = api.post(path.replace("ALERT", view.alert.id), json=body)
    assert answer.status_code == status and "detail" in answer.json()
    assert inspector.store.alerts()[0].alert.acknowledged_at is None


def test_an_alerts_frames_come_back_as_sent(alerted: tuple[TestClient, Any, list[bytes]]) -> None:
    api, _, sent = alerted
    [alert] = api.get("/v1/alerts").json()["items"]
    task = api.get(f"/v1/alerts/{alert['id']}/frames").json()
    assert task["alert"]["id"] == alert["id"] and len(task["frames"]) == len(sent)
    assert [f["created_at"] for f in task["frames"]] == sorted(f["created_at"] for f in task["frames"])
    images = [api.get(frame["links"]["image"]) for frame in task["frames"]]
    assert [r.content for r in images] == sent and {r.headers["content-type"] for r in images} == {"image/png"}
    assert api.get("/v1/alerts/" + "0" * 32 + "/frames").status_code == 404
    assert api.get("/v1/inspections/" + "0" * 32 + "/image").status_code == 404


def test_alert_frames_writes_a_folder_prelabel_takes(
    alerted: tuple[TestClient, Any, list[bytes]], runs: dict[str, Any], tmp_path: Path
) -> None:
    _, inspector, sent = alerted
    inspector.settle()
    [view] = inspector.store.alerts()
    db, out = str(inspector.store.engine.url), tmp_path / "task"
    args = ["alert-frames", "--db", db, "--images", str(inspector.blobs.root), "--alert", view.alert.id]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    images = sorted(out.glob("*.png"))
    assert [p.read_bytes() for p in images] == sent
    manifest = json.loads((out / "alert.json").read_text())
    assert [p.stem.split("_")[1] for p in images] == [f["id"] for f in manifest["frames"]]
    assert manifest["alert"]["id"] == view.alert.id
    again = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert again.exit_code == 2 and "not an empty folder" in again.output
    labels = tmp_path / "labels"
    result = CliRunner().invoke(
        app, ["prelabel", "--run", str(runs["ssim_ae"][0]), "--images", str(out), "--out", str(labels)]
    )
    assert result.exit_code == 0, result.output
    assert len(list((labels / "overlays").iterdir())) == len(sent)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "OUT"], "one of them"),
        (["--server", "http://127.0.0.1:9", "--db", "sqlite:///x.db", "--out", "OUT"], "one of them"),
        (["--server", "http://127.0.0.1:9", "--out", "OUT"], "cannot reach the service"),
        (["--db", "postgresql+psycopg://u@h/d", "--out", "OUT"], "--images"),
        (["--db", "DB", "--out", "OUT"], "no alert"),
    ],
)
def test_alert_frames_errors_are_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    names = {"OUT": str(tmp_path / "out"), "DB": f"sqlite:///{tmp_path / 'r.db'}"}
    result = CliRunner().invoke(app, ["alert-frames", "--alert", "0" * 32, *[names.get(a, a) for a in args]])
    assert result.exit_code == 2 and message in result.output, result.output
    assert result.output.count("aoikit: error:") == 1 and not (tmp_path / "out").exists()
