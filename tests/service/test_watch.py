"""The folder watcher: every complete frame once, partial files left alone, and nothing lost or doubled by
a restart or a kill -9 (frames, and alerts waiting for the webhook)."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aoikit.service.inspector import FrameMeta
from aoikit.service.store import InspectionFilter, ResultStore
from aoikit.service.watch import FolderWatcher

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def watching(open_service: Callable[..., Any]) -> Iterator[Callable[..., tuple[Any, list[tuple[Path, Any, Any]]]]]:
    """``watching(folder, **settings)``: a watcher running in a thread; its inspector and what it reported."""
    running: list[tuple[threading.Event, threading.Thread]] = []

    def start(folder: Path, **settings: Any) -> tuple[Any, list[tuple[Path, Any, Any]]]:
        inspector = open_service("ssim_ae", **settings)
        reports: list[tuple[Path, Any, Any]] = []
        watcher = FolderWatcher(
            folder, inspector, FrameMeta(camera="cam1"), poll=0.05, report=lambda *r: reports.append(r)
        )
        stop = threading.Event()
        thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
        thread.start()
        running.append((stop, thread))
        return inspector, reports

    yield start
    for stop, thread in running:
        stop.set()
        thread.join(10)


def test_frames_there_and_arriving_are_inspected_once_also_after_a_restart(
    watching: Callable[..., Any], bad_png: Callable[[int], bytes], wait_for: Callable[..., None], tmp_path: Path
) -> None:
    folder = tmp_path / "camera"
    folder.mkdir()
    (folder / "before.png").write_bytes(bad_png(0))
    (folder / ".hidden.png").write_bytes(bad_png(1))
    (folder / "notes.txt").write_text("not a frame")
    inspector, reports = watching(folder, settle=0.2)
    wait_for(lambda: len(reports) == 1)
    (folder / "during.png.part").write_bytes(bad_png(2))
    (folder / "during.png.part").rename(folder / "during.png")  # a rename into place is complete at once
    wait_for(lambda: len(reports) == 2)
    assert sorted(p.name for p, _, _ in reports) == ["before.png", "during.png"]
    assert all(row.camera == "cam1" and row.source == "watch" and row.anomalous for _, row, _ in reports)
    _, again = watching(folder, settle=0.2)  # a second watcher, as after a restart: nothing is new
    time.sleep(1.0)
    assert again == [] and inspector.store.inspections(InspectionFilter(), 10)[1] == 2


def test_a_file_being_written_is_read_only_when_complete(
    watching: Callable[..., Any], bad_png: Callable[[int], bytes], wait_for: Callable[..., None], tmp_path: Path
) -> None:
    folder = tmp_path / "camera"
    folder.mkdir()
    inspector, reports = watching(folder, settle=1.5)
    data = bad_png(3)
    with (folder / "slow.png").open("wb") as out:
        out.write(data[: len(data) // 2])
        out.flush()
        time.sleep(0.8)
        assert reports == []
        out.write(data[len(data) // 2 :])
    wait_for(lambda: len(reports) == 1)
    [(_path, row, problem)] = reports
    assert problem is None and row.anomalous and inspector.blobs.read(row.image_sha256) == data


def test_a_broken_frame_is_refused_once_and_not_stored(
    watching: Callable[..., Any], wait_for: Callable[..., None], tmp_path: Path
) -> None:
    folder = tmp_path / "camera"
    folder.mkdir()
    inspector, reports = watching(folder, settle=0.1)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    wait_for(lambda: len(reports) == 1)
    time.sleep(0.5)
    [(_, row, problem)] = reports
    assert row is None and "unreadable" in problem
    assert inspector.store.inspections(InspectionFilter(), 10)[1] == 0


def start_watch(folder: Path, run: Path, db: str, images: Path, *options: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "aoikit", "watch", str(folder), "--run", str(run), "--db", db]
    command += ["--images", str(images), "--settle", "0.2", "--threads", "1", *options]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_kill_9_mid_stream_then_restart_inspects_every_frame_exactly_once(
    runs: dict[str, Any], bad_png: Callable[[int], bytes], wait_for: Callable[..., None], tmp_path: Path
) -> None:
    folder, images = tmp_path / "camera", tmp_path / "images"
    folder.mkdir()
    db = f"sqlite:///{tmp_path / 'results.db'}"
    frames = 40
    for i in range(frames):
        (folder / f"{i:03d}.png").write_bytes(bad_png(i))
    store = ResultStore.open(db)
    stored = lambda: store.inspections(InspectionFilter(), 1)[1]  # noqa: E731
    watcher = start_watch(folder, runs["ssim_ae"][0], db, images)
    try:
        wait_for(lambda: stored() >= 3 or watcher.poll() is not None, timeout=120)
        assert watcher.poll() is None, watcher.stderr.read().decode() if watcher.stderr else ""
        watcher.send_signal(signal.SIGKILL)
        watcher.wait()
        assert stored() < frames, "finished before the kill; the test needs more frames"
        watcher = start_watch(folder, runs["ssim_ae"][0], db, images)
        wait_for(lambda: stored() == frames, timeout=120)
        time.sleep(1.0)
    finally:
        watcher.kill()
        watcher.wait()
    rows, total = store.inspections(InspectionFilter(), 500)
    keys = [r.frame_key.split(":")[1] for r in rows]
    assert total == frames and sorted(Path(k).name for k in keys) == [f"{i:03d}.png" for i in range(frames)]
    store.close()


@pytest.mark.slow
def test_watch_with_known_kinds_alerts_on_an_unseen_kind_naming_its_frames(
    runs: dict[str, Any],
    known_kinds_file: Path,
    kind_png: Callable[[str, int], bytes],
    wait_for: Callable[..., None],
    tmp_path: Path,
) -> None:
    folder, db = tmp_path / "camera", f"sqlite:///{tmp_path / 'results.db'}"
    folder.mkdir()
    store = ResultStore.open(db)
    stored = lambda: store.inspections(InspectionFilter(), 10)  # noqa: E731
    new_kinds = lambda: [v for v in store.alerts() if v.alert.kind == "new_kind"]  # noqa: E731
    options = ["--known-kinds", str(known_kinds_file), "--new-kind-support", "2"]
    watcher = start_watch(folder, runs["ssim_ae"][0], db, tmp_path / "images", *options)
    try:
        for i in range(3):
            (folder / f"dark{i}.png").write_bytes(kind_png("dark", 300 + i))
        wait_for(lambda: stored()[1] == 3 or watcher.poll() is not None, timeout=120)
        assert watcher.poll() is None, watcher.stderr.read().decode() if watcher.stderr else ""
        for i in range(2):
            (folder / f"bright{i}.png").write_bytes(kind_png("bright", 400 + i))
        wait_for(lambda: len(new_kinds()) > 0 or watcher.poll() is not None, timeout=120)
    finally:
        watcher.kill()
        watcher.wait()
    rows, total = stored()
    bright = [r.id for r in rows if Path(str(r.frame_key).split(":")[1]).name.startswith("bright")]
    [view] = new_kinds()
    assert total == 5 and all(r.anomalous for r in rows) and len(bright) == 2
    assert view.frames == sorted(bright) and sorted(view.alert.details["frames"]) == sorted(bright)
    store.close()


@pytest.mark.slow
def test_an_alert_pending_when_watch_is_killed_is_sent_after_the_restart(
    runs: dict[str, Any],
    bad_png: Callable[[int], bytes],
    receiver: Callable[..., Any],
    wait_for: Callable[..., None],
    tmp_path: Path,
) -> None:
    folder, db = tmp_path / "camera", f"sqlite:///{tmp_path / 'results.db'}"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.png").write_bytes(bad_png(i))
    hook = receiver(1, 30.0)  # the first POST hangs past the webhook's timeout
    store = ResultStore.open(db)
    alerts = lambda: [(v.alert.id, v.alert.delivery) for v in store.alerts()]  # noqa: E731
    options = ["--webhook", hook.url, "--webhook-retries", "0", "--alert-window", "3"]
    watcher = start_watch(folder, runs["ssim_ae"][0], db, tmp_path / "images", *options)
    try:
        wait_for(lambda: len(hook.bodies) == 1 or watcher.poll() is not None, timeout=120)
        assert watcher.poll() is None, watcher.stderr.read().decode() if watcher.stderr else ""
        watcher.send_signal(signal.SIGKILL)  # while the POST waits for an answer
        watcher.wait()
        [(alert_id, delivery)] = alerts()
        assert delivery == "pending"
        watcher = start_watch(folder, runs["ssim_ae"][0], db, tmp_path / "images", *options)
        wait_for(lambda: alerts() == [(alert_id, "delivered")], timeout=60)  # once the killed process's lease ran out
        wait_for(lambda: store.inspections(InspectionFilter(), 1)[1] == 3, timeout=60)  # a frame left by the kill
    finally:
        watcher.kill()
        watcher.wait()
    assert [b["id"] for b in hook.bodies] == [alert_id, alert_id]
    store.close()
