"""Load on ``aoikit serve`` over loopback, then a kill -9 mid-load: throughput, latency, and lost or doubled results.

Usage: ``python benchmarks/serve_load.py [--clients 1,4,16] [--workers 1,2] [--seconds 30] [--db URL] [--out DIR]``.
For each model (SSIM-AE at 512², GANomaly-SSIM-SSIM at 128², PatchCore at 256²; untrained networks calibrated on
synthetic good frames, which costs the same per frame as trained ones), it starts ``aoikit serve`` on a free loopback
port and lets N client threads POST unique frames (8-bit BMP, an ``Idempotency-Key`` each) for the given
time, timing every answer. Then a second round: half-way through, the server is killed with SIGKILL and
started again on the same port and database; clients retry what was not acknowledged, with the same key.
Afterwards the store is read directly: every acknowledged id must be there (missing: 0), and no frame's
content may be stored twice (duplicates: 0). Prints a Markdown table.
"""

import argparse
import http.client
import io
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from aoikit.config import RunConfig, save_config
from aoikit.detector import Detector, DetectorConfig
from aoikit.models.ganomaly.detector import GANomalyDetector, GANomalyDetectorConfig
from aoikit.models.patchcore.config import PatchCoreConfig
from aoikit.models.patchcore.detector import PatchCoreDetector
from aoikit.models.ssim_ae.detector import SSIMAEDetector, SSIMAEDetectorConfig
from aoikit.service.store import InspectionFilter, ResultStore

MODELS: dict[str, tuple[type[Detector], DetectorConfig, int]] = {
    "SSIM-AE 512²": (SSIMAEDetector, SSIMAEDetectorConfig(), 512),
    "GANomaly-SSIM-SSIM 128²": (GANomalyDetector, GANomalyDetectorConfig(model="ganomaly-ssim-ssim"), 128),
    "GANomaly-SSIM-SSIM 128² ngf 16": (
        GANomalyDetector,
        GANomalyDetectorConfig(model="ganomaly-ssim-ssim", model_config={"ngf": 16, "ndf": 16}),
        128,
    ),
    "PatchCore 256²": (PatchCoreDetector, PatchCoreConfig(), 256),
}
DEFAULT_MODELS = ("SSIM-AE 512²", "GANomaly-SSIM-SSIM 128²", "PatchCore 256²")


def cpu_line() -> str:
    """CPU model, cores and the SIMD flags that matter for PyTorch on the CPU."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    simd = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile") if f in flags]
    return f"{name}, {len(os.sched_getaffinity(0))} cores usable, flags {' '.join(simd) or 'none of avx2/avx512'}"


def load_line() -> str:
    """The load average now (1, 5, 15 minutes)."""
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def texture(size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(0.5 + rng.normal(0, 0.03, (size, size)), 0, 1).astype(np.float32)


def make_run(name: str, folder: Path) -> Path:
    """An untrained network of ``name`` calibrated on synthetic good frames, saved as a run (PatchCore, which
    trains nothing: fitted on 64 synthetic frames, a bank of 6,554 vectors as on screw)."""
    cls, config, size = MODELS[name]
    torch.manual_seed(0)
    calibration = [texture(size, s) for s in range(6)]
    if cls is PatchCoreDetector:
        detector = cls(config).fit([texture(size, 100 + s) for s in range(64)], calibration, folder)
    else:
        detector = cls.from_model(cls(config).build_model(), config).calibrate(calibration)
        detector.save(folder / "model")
    save_config(RunConfig(detector=config), folder / "config.yaml")
    return folder


class Frames:
    """Unique frames: one BMP whose first pixels carry a counter and a tag of this set (no encoding per frame), so
    no two sets share a frame or a key, in one database however often it is used."""

    def __init__(self, size: int) -> None:
        out = io.BytesIO()
        Image.fromarray((texture(size, 99) * 255).astype(np.uint8)).save(out, format="BMP")
        self.base = bytearray(out.getvalue())
        self.offset = int.from_bytes(self.base[10:14], "little")
        self.tag = os.urandom(8)
        self.base[self.offset + 8 : self.offset + 16] = self.tag
        self.prefix = f"load-{self.tag.hex()}-"
        self.count = 0
        self.lock = threading.Lock()

    def next(self) -> tuple[str, bytes]:
        with self.lock:
            self.count += 1
            n = self.count
        data = bytearray(self.base)
        data[self.offset : self.offset + 8] = n.to_bytes(8, "little")
        return f"{self.prefix}{n}", bytes(data)


@dataclass
class Tally:
    """What the clients saw: latencies of answered requests, acknowledged ids, errors."""

    latencies: list[float] = field(default_factory=list)
    model_ms: list[float] = field(default_factory=list)
    acked: dict[str, str] = field(default_factory=dict)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def client(port: int, frames: Frames, tally: Tally, until: float) -> None:
    """POST frames until ``until``; a frame not acknowledged is sent again with the same key."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    pending: tuple[str, bytes] | None = None
    while time.monotonic() < until:
        key, data = pending or frames.next()
        start = time.perf_counter()
        try:
            connection.request("POST", "/v1/inspect", body=data, headers={"Idempotency-Key": key})
            response = connection.getresponse()
            body = response.read()
            if response.status not in (200, 201):
                raise OSError(f"{response.status}: {body[:200]!r}")
        except (OSError, http.client.HTTPException):
            with tally.lock:
                tally.errors += 1
            pending = (key, data)
            connection.close()
            time.sleep(0.2)
            continue
        pending = None
        with tally.lock:
            tally.latencies.append(time.perf_counter() - start)
            answer = json.loads(body)
            tally.acked[key] = answer["id"]
            tally.model_ms.append(answer.get("model_ms") or float("nan"))


def start_server(run: Path, db: str, port: int, images: Path, workers: int) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "aoikit", "serve", "--run", str(run), "--db", db, "--port", str(port)]
    command += ["--images", str(images), "--workers", str(workers)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if " at http://" not in line:
        raise SystemExit(f"server did not start: {line!r}")
    return proc


def load(port: int, frames: Frames, clients: int, seconds: float) -> tuple[Tally, list[threading.Thread], float]:
    """Start ``clients`` client threads for ``seconds``; their tally, the threads and the start time."""
    tally = Tally()
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=client, args=(port, frames, tally, until)) for _ in range(clients)]
    for t in threads:
        t.start()
    return tally, threads, time.monotonic()


def finish(threads: list[threading.Thread], start: float) -> float:
    """Wait for the clients; the seconds since ``start``."""
    for t in threads:
        t.join()
    return time.monotonic() - start


def check_store(db: str, prefix: str, acked: dict[str, str]) -> tuple[int, int, int]:
    """Acknowledged ids missing from the store, frames stored more than once, and rows in all, of the frames whose
    key starts with ``prefix``."""
    store = ResultStore.open(db)
    rows, _ = store.inspections(InspectionFilter(), limit=10_000_000)
    store.close()
    ours = [r for r in rows if (r.frame_key or "").startswith(prefix)]
    ids = {r.id for r in ours}
    shas = [r.image_sha256 for r in ours]
    return sum(1 for i in acked.values() if i not in ids), len(shas) - len(set(shas)), len(ours)


def slug(name: str) -> str:
    """A model's name as a file name."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def run_model(name: str, clients: int, workers: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """One setting: ``clients`` against ``workers`` serving ``name`` (its run made once), then the kill -9 round."""
    run = work / slug(name) if (work / slug(name) / "model").is_dir() else make_run(name, work / slug(name))
    db = args.db or f"sqlite:///{work / (slug(name) + '.db')}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    frames = Frames(MODELS[name][2])
    server = start_server(run, db, port, work / "images", workers)
    tally, threads, start = load(port, frames, clients, args.seconds)
    elapsed = finish(threads, start)
    lat = np.asarray(tally.latencies) * 1000
    row: dict[str, Any] = {
        "model": name,
        "workers": workers,
        "clients": clients,
        "requests": len(lat),
        "throughput": len(lat) / elapsed,
        "p50": float(np.percentile(lat, 50)),
        "p99": float(np.percentile(lat, 99)),
        "model_p50": float(np.median(tally.model_ms)),
        "errors": tally.errors,
    }
    kill_tally, threads, start = load(port, frames, clients, args.seconds)
    time.sleep(args.seconds / 2)
    acked_before = len(kill_tally.acked)
    server.send_signal(signal.SIGKILL)
    server.wait()
    restart = time.monotonic()
    server = start_server(run, db, port, work / "images", workers)
    row["restart_s"] = time.monotonic() - restart
    finish(threads, start)
    server.terminate()
    server.wait(30)
    missing, duplicates, total = check_store(db, frames.prefix, {**tally.acked, **kill_tally.acked})
    acked = len(tally.acked) + len(kill_tally.acked)
    row.update(acked_at_kill=acked_before, acked=acked, stored=total, missing=missing, duplicates=duplicates)
    row["kill_errors"] = kill_tally.errors
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,4,16", help="comma-separated client counts")
    parser.add_argument("--workers", default="1", help="comma-separated worker process counts (serve --workers)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each round (at most a few minutes)")
    parser.add_argument("--db", help="results database URL (default: a SQLite file per model in --out)")
    parser.add_argument("--out", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated, of: " + ", ".join(MODELS))
    args = parser.parse_args()
    if not 1 <= args.seconds <= 300:
        raise SystemExit("--seconds must lie in 1..300")
    torch.set_num_threads(1)
    work = args.out or Path(tempfile.mkdtemp(prefix="serve-load-"))
    print(f"{cpu_line()}; Python {platform.python_version()}, torch {torch.__version__}; {load_line()}")
    clients, workers = [int(c) for c in args.clients.split(",")], [int(w) for w in args.workers.split(",")]
    print(f"clients {clients}, workers {workers}, {args.seconds:.0f} s per round, untrained networks calibrated on")
    print(f"synthetic frames; database: {args.db or 'SQLite'}; model p50: the server's own model time (model_ms)\n")
    settings = [(name, w, c) for name in args.models.split(",") for w in workers for c in clients]
    rows = [run_model(name, c, w, args, work) for name, w, c in settings]
    print(f"after the rounds: {load_line()}\n")
    print(
        "| model | workers | clients | requests | req/s | p50 ms | p99 ms | model p50 ms | acked before kill -9 "
        "| restart s | acked in all | stored | missing | duplicates | refused tries in the outage |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['model']} | {r['workers']} | {r['clients']} | {r['requests']} | {r['throughput']:.1f} | "
            f"{r['p50']:.1f} | {r['p99']:.1f} | "
            f"{r['model_p50']:.1f} | "
            f"{r['acked_at_kill']} | {r['restart_s']:.1f} | {r['acked']} | {r['stored']} | {r['missing']} | "
            f"{r['duplicates']} | {r['kill_errors']} |"
        )


if __name__ == "__main__":
    main()
