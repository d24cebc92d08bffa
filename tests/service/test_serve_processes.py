"""``aoikit serve`` as real processes: two servers sharing one PostgreSQL database, new-kind alerts from saved known
kinds, one-line start errors, and a kill -9 mid-load that loses no acknowledged result."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aoikit.cli import app
from aoikit.service.store import InspectionFilter, ResultStore

SRC = Path(__file__).resolve().parents[2] / "src"


def aoikit(*args: str) -> list[str]:
    return [sys.executable, "-m", "aoikit", *args]


ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}


@pytest.fixture
def servers() -> Iterator[Callable[..., list[str]]]:
    """``servers(count, *args)``: start ``aoikit serve *args --port 0`` that many times at once; their URLs."""
    started: list[subprocess.Popen[str]] = []

    def start(count: int, *args: str) -> list[str]:
        procs = [
            subprocess.Popen(
                aoikit("serve", *args, "--port", "0", "--threads", "1"),
                env=ENV,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(count)
        ]
        started.extend(procs)
        urls = []
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert " at http://" in line, (line, proc.stderr.read() if proc.stderr else "")
            urls.append(line.split(" at ")[1].split()[0].rstrip("/"))
        return urls

    yield start
    for proc in started:
        proc.terminate()
    for proc in started:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def post(url: str, data: bytes, camera: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{url}/v1/inspect?camera={camera}", data=data, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201
        return dict(json.load(response))


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as response:
        body = response.read()
        return json.loads(body) if response.headers["content-type"] == "application/json" else body


@pytest.mark.slow
@pytest.mark.postgres
def test_two_servers_share_one_postgresql_database(
    servers: Callable[..., list[str]],
    postgres_url: str,
    runs: dict[str, Any],
    bad_png: Callable[[int], bytes],
    tmp_path: Path,
) -> None:
    run, good = runs["ssim_ae"]
    first, second = servers(2, "--run", str(run), "--db", postgres_url, "--images", str(tmp_path / "images"))
    answers: dict[str, list[dict[str, Any]]] = {first: [], second: []}

    def client(url: str, offset: int) -> None:
        for i in range(8):
            answers[url].append(post(url, bad_png(offset + i) if i % 2 else good[0], camera="cam1"))

    threads = [threading.Thread(target=client, args=(url, k * 100)) for k, url in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = {a["id"] for url in answers for a in answers[url]}
    assert len(ids) == 16
    for url in (first, second):
        listing = get(f"{url}/v1/inspections?limit=100")
        assert listing["total"] == 16 and {i["id"] for i in listing["items"]} == ids
    stored_by_second = answers[second][1]
    assert get(f"{first}{stored_by_second['links']['overlay']}").startswith(b"\x89PNG")
    open_alerts = get(f"{first}/v1/alerts?status=open")["items"]
    assert [a["kind"] for a in open_alerts] == ["rate"]  # both saw the burst; one alert was raised
    assert get(f"{second}/readyz")["database"] == "postgresql"


def new_kind_alerts(url: str) -> list[dict[str, Any]]:
    return [a for a in get(f"{url}/v1/alerts")["items"] if a["kind"] == "new_kind"]


@pytest.mark.slow
def test_serve_with_known_kinds_alerts_on_an_unseen_kind_naming_its_frames(
    servers: Callable[..., list[str]],
    db_url: str,
    runs: dict[str, Any],
    known_kinds_file: Path,
    kind_png: Callable[[str, int], bytes],
    tmp_path: Path,
) -> None:
    run = str(runs["ssim_ae"][0])
    options = ["--known-kinds", str(known_kinds_file), "--new-kind-support", "2"]
    [url] = servers(1, "--run", run, "--db", db_url, "--images", str(tmp_path / "images"), *options)
    dark = [post(url, kind_png("dark", 300 + i), camera="cam1") for i in range(4)]
    assert all(a["decision"] == "anomalous" and a["regions"] for a in dark)
    assert new_kind_alerts(url) == []  # dark squares are a known kind, however many
    bright = [post(url, kind_png("bright", 400 + i), camera="cam1")["id"] for i in range(2)]
    [alert] = new_kind_alerts(url)
    assert sorted(f["id"] for f in alert["frames"]) == sorted(bright)
    assert alert["details"]["frames"] == bright and all(i in alert["message"] for i in bright)
    assert {r["frame"] for r in alert["details"]["regions"]} == set(bright)
    assert alert["details"]["known_kinds"] == ["dark"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--db", "mysql://x/y"], "unsupported database 'mysql'"),
        (["serve", "--false-alarm-rate", "2"], "false_alarm_rate must lie strictly"),
        (["serve", "--api-key", "short", "--host", "0.0.0.0"], "at least 16"),
        (["watch", "NOWHERE"], "not a folder to watch"),
        (["serve", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_start_errors_are_one_line_and_exit_2(
    args: list[str], message: str, runs: dict[str, Any], tmp_path: Path
) -> None:
    args = [a.replace("NOWHERE", str(tmp_path / "nowhere")) for a in args]
    db = ["--db", f"sqlite:///{tmp_path / 'r.db'}"] if "--db" not in args else []
    result = CliRunner().invoke(app, [*args, "--run", str(runs["ssim_ae"][0]), *db, "--threads", "1"])
    assert result.exit_code == 2 and message in result.output, result.output
    assert result.output.count("aoikit: error:") == 1 and "Traceback" not in result.output


def test_a_run_without_a_model_and_a_busy_port_are_one_line_errors(runs: dict[str, Any], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    result = CliRunner().invoke(app, ["serve", "--run", str(tmp_path), "--db", db])
    assert result.exit_code == 2 and "no trained model here" in result.output
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = str(busy.getsockname()[1])
        result = CliRunner().invoke(app, ["serve", "--run", str(runs["ssim_ae"][0]), "--db", db, "--port", port])
    assert result.exit_code == 2 and "the port is in use" in result.output and " at http" not in result.output


def start_one(run: Path, db: str, images: Path) -> tuple[subprocess.Popen[str], int]:
    command = aoikit("serve", "--run", str(run), "--db", db, "--images", str(images), "--port", "0", "--threads", "1")
    proc = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert " at http://" in line, line
    return proc, int(line.split(" at http://")[1].split("/")[0].rsplit(":", 1)[1])


class Client:
    """Sends frames one after another with a key each; a frame not acknowledged is sent again with its key."""

    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames
        self.acked: dict[int, str] = {}
        self.port = 0
        self.stop = False

    def run(self) -> None:
        index = 0
        while index < len(self.frames) and not self.stop:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request(
                    "POST", "/v1/inspect", body=self.frames[index], headers={"Idempotency-Key": f"f{index}"}
                )
                response = connection.getresponse()
                body = response.read()
                connection.close()
            except OSError:
                time.sleep(0.05)
                continue
            assert response.status in (200, 201), body
            self.acked[index] = body.split(b'"id":"', 1)[1][:32].decode()
            index += 1


@pytest.mark.slow
def test_kill_9_mid_load_loses_no_acknowledged_result(
    runs: dict[str, Any], bad_png: Callable[[int], bytes], tmp_path: Path, wait_for: Callable[..., None]
) -> None:
    run = runs["ganomaly"][0]
    db, images = f"sqlite:///{tmp_path / 'results.db'}", tmp_path / "images"
    frames = [bad_png(1000 + i) for i in range(60)]
    client = Client(frames)
    server, client.port = start_one(run, db, images)
    thread = threading.Thread(target=client.run)
    thread.start()
    try:
        wait_for(lambda: len(client.acked) >= 10, timeout=60)
        server.send_signal(signal.SIGKILL)
        server.wait()
        acked_at_kill = len(client.acked)
        server, client.port = start_one(run, db, images)
        thread.join(120)
        assert len(client.acked) == len(frames) > acked_at_kill, "the client did not finish after the restart"
        connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=60)
        connection.request("GET", f"/v1/inspections/{client.acked[0]}/overlay.png")
        assert connection.getresponse().read().startswith(b"\x89PNG")
    finally:
        client.stop = True
        thread.join(30)
        server.kill()
        server.wait()
    store = ResultStore.open(db)
    rows, total = store.inspections(InspectionFilter(), limit=1000)
    store.close()
    by_id = {r.id: r for r in rows}
    assert total == len(frames) and set(client.acked.values()) == set(by_id)  # none missing, none doubled
    for index, row_id in client.acked.items():
        assert (images / by_id[row_id].image_sha256[:2] / by_id[row_id].image_sha256).read_bytes() == frames[index]


def spawned_workers(parent: int) -> list[int]:
    """The worker processes of ``serve --workers`` (spawned children, not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the workers through /proc")
def test_workers_share_one_port_and_database_and_a_killed_worker_is_replaced(
    runs: dict[str, Any], bad_png: Callable[[int], bytes], tmp_path: Path, wait_for: Callable[..., None]
) -> None:
    run, db = runs["ganomaly"][0], f"sqlite:///{tmp_path / 'results.db'}"
    command = aoikit("serve", "--run", str(run), "--db", db, "--port", "0", "--workers", "2", "--threads", "1")
    parent = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        assert "(2 workers; Ctrl+C to stop)" in line, line
        url = line.split(" at ")[1].split()[0].rstrip("/")
        workers = spawned_workers(parent.pid)
        assert len(workers) == 2

        def send(first: int) -> None:
            for i in range(first, first + 4):
                post(url, bad_png(2000 + i), camera="cam1")

        threads = [threading.Thread(target=send, args=(k * 4,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        os.kill(workers[0], signal.SIGKILL)
        wait_for(lambda: len(spawned_workers(parent.pid)) == 2 and workers[0] not in spawned_workers(parent.pid), 60)
        send(100)
        assert get(f"{url}/v1/inspections")["total"] == 20
        last = spawned_workers(parent.pid)
        parent.kill()  # the workers notice and stop by themselves
        parent.wait()
        wait_for(
            lambda: not any(Path(f"/proc/{w}/cmdline").read_bytes() for w in last if Path(f"/proc/{w}").exists()), 60
        )
    finally:
        parent.kill()
        parent.wait()


@pytest.mark.slow
def test_a_new_kind_is_acknowledged_and_its_frames_exported_from_a_running_server(
    servers: Callable[..., list[str]],
    runs: dict[str, Any],
    known_kinds_file: Path,
    kind_png: Callable[[str, int], bytes],
    tmp_path: Path,
) -> None:
    run = str(runs["ssim_ae"][0])
    options = ["--known-kinds", str(known_kinds_file), "--new-kind-support", "2"]
    db = f"sqlite:///{tmp_path / 'r.db'}"
    [url] = servers(1, "--run", run, "--db", db, "--images", str(tmp_path / "im"), *options)
    bright = {post(url, data, camera="cam1")["id"]: data for data in (kind_png("bright", 500 + i) for i in range(2))}
    [alert] = new_kind_alerts(url)
    body = json.dumps({"kind": "bright"}).encode()
    request = urllib.request.Request(f"{url}/v1/alerts/{alert['id']}/ack", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=60) as response:
        assert json.load(response)["acknowledged_kind"] == "bright"
    assert new_kind_alerts(url)[0]["acknowledged_kind"] == "bright"
    out = tmp_path / "task"
    done = subprocess.run(
        aoikit("alert-frames", "--server", url, "--alert", alert["id"], "--out", str(out)),
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert {p.stem.split("_")[1]: p.read_bytes() for p in out.glob("*.png")} == bright


@pytest.mark.slow
def test_an_acknowledgement_survives_kill_9_of_the_server(
    runs: dict[str, Any], bad_png: Callable[[int], bytes], tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    args = aoikit("serve", "--run", str(runs["ssim_ae"][0]), "--db", db, "--images", str(tmp_path / "im"))
    args += ["--alert-window", "3", "--false-alarm-rate", "0.01", "--port", "0", "--threads", "1"]

    def start() -> tuple[subprocess.Popen[str], str]:
        proc = subprocess.Popen(args, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        return proc, proc.stdout.readline().split(" at ")[1].split()[0].rstrip("/")

    proc, url = start()
    try:
        for seed in range(3):
            post(url, bad_png(seed), camera="cam1")
        [alert] = get(f"{url}/v1/alerts")["items"]
        request = urllib.request.Request(f"{url}/v1/alerts/{alert['id']}/ack", data=b'{"kind": "dent"}', method="POST")
        request.add_header("Content-Type", "application/json")
        urllib.request.urlopen(request, timeout=60).close()
    finally:
        proc.kill()  # SIGKILL: no shutdown, no flush
        proc.wait(20)
    proc, url = start()
    try:
        assert get(f"{url}/v1/alerts/{alert['id']}")["acknowledged_kind"] == "dent"
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.mark.slow
def test_sigterm_stops_serve_through_its_clean_up(
    runs: dict[str, Any], bad_png: Callable[[int], bytes], tmp_path: Path
) -> None:
    """SIGTERM (a service manager's stop) ends serve with 143 and no traceback, after the checks of the frames it
    answered: the rate alert of the last frame is stored even when the signal comes right after its answer."""
    db = f"sqlite:///{tmp_path / 'r.db'}"
    command = aoikit("serve", "--run", str(runs["ssim_ae"][0]), "--db", db, "--images", str(tmp_path / "images"))
    command += ["--port", "0", "--threads", "1", "--alert-window", "1", "--false-alarm-rate", "0.5"]
    proc = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    line = proc.stdout.readline()
    assert " at http://" in line, line
    answer = post(line.split(" at ")[1].split()[0].rstrip("/"), bad_png(0), "c")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 143, proc.stderr.read()
    assert "Traceback" not in proc.stderr.read()
    store = ResultStore.open(db)
    try:
        assert answer["decision"] == "anomalous" and store.get(answer["id"]) is not None
        assert [v.alert.kind for v in store.alerts()] == ["rate"]
    finally:
        store.close()
