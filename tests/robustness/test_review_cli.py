"""``aoikit review`` on broken or busy inputs: one line and exit 2; a second server on a folder is refused."""

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

import aoikit
from aoikit.labels.coco import ANNOTATIONS
from aoikit.review.state import STATE_FILE

pytest.importorskip("fastapi", reason="the review server needs the serve extra")
CliError = Callable[..., str]
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.mark.parametrize(
    ("text", "problem"), [('{"version": 1, "images": [{"image_pa', "not valid JSON"), ("[]", "not a review state")]
)
def test_a_broken_review_state_is_named(
    cli_error: CliError, labelled: tuple[Path, Path], text: str, problem: str
) -> None:
    labels, images = labelled
    (labels / STATE_FILE).write_text(text)
    line = cli_error("review", labels, "--images", images, "--port", 0)
    assert f"{labels / STATE_FILE}: {problem}" in line


def test_cut_short_coco_prelabels_are_named(cli_error: CliError, labelled: tuple[Path, Path]) -> None:
    labels, images = labelled
    coco = labels / "coco" / ANNOTATIONS
    coco.write_text(coco.read_text()[:50])
    assert f"{coco}: not valid JSON" in cli_error("review", labels, "--images", images, "--port", 0)
    assert not (labels / STATE_FILE).exists()


def test_a_busy_port_is_one_line_and_nothing_claims_to_serve(cli_error: CliError, labelled: tuple[Path, Path]) -> None:
    labels, images = labelled
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        line = cli_error("review", labels, "--images", images, "--port", port)
    assert f"127.0.0.1:{port}: the port is in use" in line  # and no "reviewing ... at" line before it


def request(url: str, method: str = "GET", token: str | None = None) -> int:
    """Status of one request to the review server (``X-Aoikit-Review`` set, the token as a header if given)."""
    req = urllib.request.Request(url, method=method, headers={"X-Aoikit-Review": "1"})
    if token is not None:
        req.add_header("X-Aoikit-Token", token)
    try:
        with _OPENER.open(req, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def start_review(labels: Path, images: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """``aoikit review`` in a subprocess, and the URL it printed once bound (within 60 s)."""
    env = {**os.environ, "PYTHONPATH": str(Path(aoikit.__file__).parents[1]), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "aoikit", "review", str(labels), "--images", str(images), *args]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or []], daemon=True).start()
    try:
        first = lines.get(timeout=60)
    except queue.Empty:
        proc.kill()
        raise AssertionError("the review server printed nothing in 60 s") from None
    assert first.startswith(f"reviewing {labels} at http://"), first
    return proc, first.split(" at ", 1)[1].split()[0]


@pytest.mark.slow
def test_off_loopback_a_token_is_printed_and_a_second_server_is_refused_without_losing_edits(
    cli_error: CliError, labelled: tuple[Path, Path]
) -> None:
    labels, images = labelled
    proc, url = start_review(labels, images, "--host", "0.0.0.0", "--port", "0")
    try:
        assert "?token=" in url
        token = url.split("?token=")[1]
        base = "http://127.0.0.1:" + url.split(":")[2].split("/")[0]
        assert request(f"{base}/api/images/0/accept", "POST") == 401
        assert request(f"{base}/?token=wrong") == 403
        assert request(f"{base}/?token={token}") == 200
        assert request(f"{base}/api/images/0/accept", "POST", token) == 200

        assert "in use by aoikit review" in cli_error("review", labels, "--images", images, "--port", 0)

        assert request(f"{base}/api/current", "PUT", token) == 422  # no body: refused, nothing saved
        assert request(f"{base}/api/images/0/regions/0", "DELETE", token) == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    saved = json.loads((labels / STATE_FILE).read_text())
    assert saved["images"][0]["status"] == "accepted" and saved["images"][0]["regions"] == []
