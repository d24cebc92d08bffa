"""What ``line_loop.py`` does as a line engineer would: run ``aoikit`` commands, start ``aoikit serve``, and talk
to it over HTTP (send frames, read and acknowledge alerts)."""

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from line_stream import Frame

SRC = Path(__file__).resolve().parents[1] / "src"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}


def aoikit(args: Sequence[str], log: Path) -> float:
    """Run ``aoikit ARGS`` with its output in ``log``; the seconds it took. Exits with the log's tail on failure."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("a") as out:
        out.write(f"$ aoikit {' '.join(args)}\n")
        out.flush()
        done = subprocess.run([sys.executable, "-m", "aoikit", *args], env=ENV, stdout=out, stderr=out)
    if done.returncode:
        raise SystemExit(f"aoikit {' '.join(args)} failed; {log}:\n{log.read_text()[-2000:]}")
    return time.perf_counter() - started


class Server:
    """``aoikit serve --run RUN OPTIONS`` on a free port for the ``with`` block; its frames go to a camera name of
    their own, so streams sharing a ``--db`` never mix."""

    def __init__(self, args: argparse.Namespace, run: Path, options: list[str], images: Path, log: Path) -> None:
        db = args.db or f"sqlite:///{images.with_suffix('.db')}"
        if args.db is None:  # a fresh database: a killed stream's rows (and its write-ahead log) would mix in
            for suffix in (".db", ".db-wal", ".db-shm"):
                images.with_suffix(suffix).unlink(missing_ok=True)
        self.command = ["serve", "--run", str(run), "--db", db, "--images", str(images), *options]
        self.command += ["--port", "0", "--threads", args.threads]
        self.camera = f"{images.parent.name}-{images.name}-{secrets.token_hex(4)}"
        self.log = log
        self.url = ""

    def __enter__(self) -> "Server":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "aoikit", *self.command], env=ENV, stdout=subprocess.PIPE, stderr=err, text=True
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if " at http://" not in line:
            self.process.kill()
            raise SystemExit(f"aoikit serve did not start: {line}{self.log.read_text()[-2000:]}")
        self.url = line.split(" at ")[1].split()[0].rstrip("/")
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def request(url: str, data: bytes | None = None, content_type: str | None = None) -> Any:
    """The JSON answer of a GET (or a POST of ``data``)."""
    call = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if content_type:
        call.add_header("Content-Type", content_type)
    with urllib.request.urlopen(call, timeout=300) as response:
        return json.load(response)


def play(server: Server, frames: Sequence[Frame], start: int) -> Iterator[dict[str, Any]]:
    """POST each frame (numbered from ``start``); yield its record: index, kind, id, score, decision and the kinds its
    regions were named."""
    for i, frame in enumerate(frames, start):
        answer = request(f"{server.url}/v1/inspect?camera={server.camera}&part_id={i}", Path(frame.path).read_bytes())
        yield {
            "i": i,
            "kind": frame.kind,
            "id": answer["id"],
            "score": answer["score"],
            "threshold": answer["threshold"],
            "anomalous": answer["decision"] == "anomalous",
            "names": sorted({r["class_name"] for r in answer["regions"]}),
        }


def new_kind_alerts(url: str, camera: str) -> list[dict[str, Any]]:
    """The "new kind" alerts of ``camera``, oldest first."""
    alerts = request(f"{url}/v1/alerts?limit=500")["items"]
    return [a for a in reversed(alerts) if a["kind"] == "new_kind" and a["camera"] == camera]


def acknowledge(url: str, alert_id: str, kind: str | None) -> None:
    """Acknowledge an alert, naming its kind (None: looked at, not named)."""
    body = json.dumps({} if kind is None else {"kind": kind}).encode()
    request(f"{url}/v1/alerts/{alert_id}/ack", body, "application/json")
