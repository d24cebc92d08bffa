"""Where the milliseconds of one served frame go, per family: ``python benchmarks/serve_profile.py [--frames 60]``.

Builds the runs of ``serve_load.py`` (untrained networks calibrated on synthetic frames), opens an inspector as
``aoikit serve`` does (same threads, same backend choice, SQLite or ``--db``) and inspects unique BMP frames
with an idempotency key each, in this process, with the HTTP layer left out. Each stage is timed by wrapping the
function the inspector calls for it; the table shows the median per frame of each, and of the whole call. Stages
nest: "of which" lines are inside the line above them. Stages the code under test does not have show "-".
"""

import argparse
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

import aoikit.service.blobs as blobs_module
import aoikit.service.inspector as inspector_module
from aoikit.service.inspector import FrameMeta, Inspector
from aoikit.service.server import open_inspector
from aoikit.service.store import InspectionFilter
from serve_load import DEFAULT_MODELS, MODELS, Frames, cpu_line, make_run, slug

STAGES: dict[str, tuple[Any, ...]] = {
    "key lookup (SELECT by key)": ("store", "by_key"),
    "header check (type, pixels)": (inspector_module, "check_frame"),
    "decode (from the file, or from memory)": (inspector_module, "read_gray", "decode_gray"),
    "frame blob write": (),
    "model (analyse + image score)": ("detector", "analyse", "image_scores"),
    "  of which network": (),
    "regions (threshold, outline)": (inspector_module, "extract_regions"),
    "map PNG (colour + encode)": (inspector_module, "map_png"),
    "overlay PNG (draw + encode)": (inspector_module, "overlay_png"),
    "map + overlay blob writes": (),
    "all blob writes: sha256": (blobs_module, "hashlib"),
    "all blob writes: fsync (files, folders)": (os, "fsync"),
    "DB commit (INSERT)": ("store", "add"),
    "rate alert check": ("alerts", "check_rate"),
}
"""Row name -> (module, or the name of the inspector's attribute, then the functions on it to wrap); rows without
functions are timed below, in :func:`patched`."""
TOTAL = "total"


class Clock:
    """Milliseconds spent per stage in the frame being timed."""

    def __init__(self) -> None:
        self.frame: dict[str, float] = {}
        self.frames: list[dict[str, float]] = []
        self.drawing = False

    def wrap(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.frame[name] = self.frame.get(name, 0.0) + (time.perf_counter() - start) * 1000

        return timed

    def next_frame(self) -> None:
        self.frames.append(self.frame)
        self.frame = {}

    def median(self, name: str) -> float | None:
        values = [f[name] for f in self.frames if name in f]
        return float(np.median(values)) if values else None


class TimedHashlib:
    """``hashlib`` whose sha256 digests are timed (the blob store's hashing)."""

    def __init__(self, clock: Clock, name: str) -> None:
        self.clock, self.name = clock, name

    def sha256(self, data: bytes) -> Any:
        return self.clock.wrap(self.name, hashlib.sha256)(data)


@contextmanager
def patched(inspector: Inspector, clock: Clock) -> Iterator[None]:
    """Wrap every stage the inspector has (see :data:`STAGES`); undone on exit."""
    undo: list[tuple[Any, str, Any]] = []

    def swap(owner: Any, attr: str, value: Any) -> None:
        undo.append((owner, attr, vars(owner).get(attr)))  # None: a method of the class, undone by deleting
        setattr(owner, attr, value)

    detector = inspector.detector
    for name, (owner, *attrs) in ((n, w) for n, w in STAGES.items() if w):
        target = getattr(inspector, owner) if isinstance(owner, str) else owner
        for attr in attrs:
            if attr == "hashlib":
                swap(target, attr, TimedHashlib(clock, name))
            elif hasattr(target, attr):
                swap(target, attr, clock.wrap(name, getattr(target, attr)))
    for getter in ("_generator", "_network"):  # GANomaly's generator, or the one network of the other families
        if hasattr(detector, getter):
            network = getattr(detector, getter)()
            swap(detector, getter, lambda network=network: clock.wrap("  of which network", network))
    put = inspector.blobs.put

    def put_timed(data: bytes) -> str:  # a frame's first blob is the frame, any others its pictures
        pictures = clock.drawing or "frame blob write" in clock.frame
        name = "map + overlay blob writes" if pictures else "frame blob write"
        clock.frame[name] = clock.frame.get(name, 0.0)
        return clock.wrap(name, put)(data)

    swap(inspector.blobs, "put", put_timed)
    try:
        yield
    finally:
        for owner, attr, value in reversed(undo):
            if value is None:
                delattr(owner, attr)
            else:
                setattr(owner, attr, value)


def profile(name: str, frames: int, db: str | None, work: Path) -> tuple[Clock, Clock, dict[str, str]]:
    """Inspect ``frames`` frames of model ``name`` with every stage timed, then draw the pictures of 10 of them
    where that is done on request; the clocks of both and what served them."""
    run = make_run(name, work / slug(name))
    source = Frames(MODELS[name][2])
    db = db or f"sqlite:///{work / (slug(name) + '.db')}"
    clock = Clock()
    with open_inspector(run, db, images=work / "images") as inspector, patched(inspector, clock):
        for i in range(frames + 3):
            key, data = source.next()
            start = time.perf_counter()
            inspector.inspect(data, FrameMeta(camera="cam1"), "api", key)
            clock.frame[TOTAL] = (time.perf_counter() - start) * 1000
            if i >= 3:  # the first frames warm caches and the database file
                clock.next_frame()
            else:
                clock.frame = {}
        answers = clock.frames
        clock.frames = []
        if hasattr(inspector, "pictures"):  # drawn when first asked for, after the answer
            rows, _ = inspector.store.inspections(InspectionFilter(), limit=10)
            clock.drawing = True
            for row in rows:
                clock.wrap(TOTAL, inspector.pictures)(row)
                clock.next_frame()
        served = {"backend": inspector.model.backend, "db": inspector.store.engine.dialect.name}
    drawn = Clock()
    drawn.frames, clock.frames = clock.frames, answers
    return clock, drawn, served


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--db", help="results database URL (default: a SQLite file per model in a temporary folder)")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated, of: " + ", ".join(MODELS))
    args = parser.parse_args()
    names = args.models.split(",")
    with tempfile.TemporaryDirectory(prefix="serve-profile-") as tmp:
        results = [profile(name, args.frames, args.db, Path(tmp)) for name in names]
    print(f"{cpu_line()}; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {args.frames} frames")
    header = " | ".join(f"{n} ({s['backend']}, {s['db']})" for n, (*_, s) in zip(names, results, strict=True))
    for title, which in (("answering a frame (inspect call)", 0), ("drawing its map and overlay on request", 1)):
        print(f"\n| {title}: median ms | {header} |\n|---|" + "---:|" * len(names))
        for stage in [*STAGES, TOTAL]:
            cells = [result[which].median(stage) for result in results]
            if any(c is not None for c in cells):
                print(f"| {stage} | " + " | ".join("-" if c is None else f"{c:.2f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
