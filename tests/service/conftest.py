"""Tiny calibrated runs of each family, frames as image bytes, and result stores on SQLite and PostgreSQL.

The runs are untrained networks calibrated on a few flat noisy frames (seconds to build); a frame with a
black square scores far above their image threshold. PostgreSQL stores live in a throwaway database made
and dropped per test; those tests skip with the reason when the server at ``AOIKIT_TEST_POSTGRES`` is
unreachable.
"""

import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("sqlalchemy", reason="the inspection service needs the serve extra")

from aoikit.config import RunConfig, save_config
from aoikit.detector import Detector
from aoikit.models.ganomaly.detector import GANomalyDetector, GANomalyDetectorConfig
from aoikit.models.patchcore.config import PatchCoreConfig
from aoikit.models.patchcore.detector import PatchCoreDetector
from aoikit.models.ssim_ae.detector import SSIMAEDetector, SSIMAEDetectorConfig
from aoikit.service.store import Inspection, new_id

SIZE = 64
FAMILIES = {
    "ssim_ae": (SSIMAEDetector, SSIMAEDetectorConfig(model_config={"latent_dim": 8}, image_size=64, patch_size=32)),
    "ganomaly": (
        GANomalyDetector,
        GANomalyDetectorConfig(
            model="ganomaly-ssim-ssim", model_config={"latent_dim": 8, "ngf": 8, "ndf": 8}, image_size=64
        ),
    ),
    "patchcore": (PatchCoreDetector, PatchCoreConfig(image_size=64)),
}


def good_image(seed: int) -> np.ndarray:
    """A flat grey frame with a little noise."""
    noise = np.random.default_rng(seed).normal(0.0, 0.02, (SIZE, SIZE))
    return np.clip(0.5 + noise, 0.0, 1.0).astype(np.float32)


def bad_image(seed: int) -> np.ndarray:
    """A good frame with a black square in it."""
    image = good_image(seed)
    image[20:44, 20:44] = 0.0
    return image


def kind_image(kind: str, seed: int) -> np.ndarray:
    """A good frame with one defect of ``kind``: "dark" (a black square of 14 to 19 px anywhere) or "bright" (a
    white line across)."""
    rng = np.random.default_rng(seed)
    image = good_image(seed)
    if kind == "dark":
        side = int(rng.integers(14, 20))
        x, y = (int(v) for v in rng.integers(8, SIZE - 8 - side, 2))
        image[y : y + side, x : x + side] = 0.0
    else:
        y = int(rng.integers(16, 48))
        cv2.line(image, (8, y), (56, y + int(rng.integers(-8, 9))), 1.0, 2)
    return image


def png(image: np.ndarray) -> bytes:
    """8-bit PNG bytes of a float image in [0, 1]."""
    out = io.BytesIO()
    Image.fromarray((image * 255).round().astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def build_run(family: str, folder: Path) -> tuple[Path, list[bytes]]:
    """A run of an untrained network of ``family`` calibrated on good frames (PatchCore: fitted on good frames, as
    it has nothing to train), and good frames it calls good."""
    cls, config = FAMILIES[family]
    torch.manual_seed(0)
    calibration = [good_image(seed) for seed in range(10)]
    if cls is PatchCoreDetector:
        detector: Detector = cls(config).fit([good_image(seed) for seed in range(100, 120)], calibration, folder)
    else:
        detector = cls.from_model(cls(config).build_model(), config)
        detector.calibrate(calibration)
    detector.save(folder / "model")
    save_config(RunConfig(detector=config), folder / "config.yaml")
    scores = detector.score(calibration)
    return folder, [png(im) for im, s in zip(calibration, scores, strict=True) if s <= detector.image_threshold_]


class Runs(dict[str, tuple[Path, list[bytes]]]):
    """``family -> (run folder, good frames as PNG)``, each run built on first use."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def __missing__(self, family: str) -> tuple[Path, list[bytes]]:
        torch.set_num_threads(1)
        self[family] = build_run(family, self.root / family)
        return self[family]


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Tiny runs of SSIM-AE ("ssim_ae"), GANomaly-SSIM-SSIM ("ganomaly") and PatchCore ("patchcore"), built when
    first asked for."""
    return Runs(tmp_path_factory.mktemp("runs"))


@pytest.fixture
def open_service(runs: dict[str, tuple[Path, list[bytes]]], tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``open_service(family, db=None, **settings)``: an Inspector of that run storing into this test's folder
    (SQLite there unless ``db`` is given); closed after the test."""
    from contextlib import ExitStack

    from aoikit.service.server import open_inspector
    from aoikit.service.settings import ServiceConfig

    with ExitStack() as stack:

        def start(family: str = "ssim_ae", db: str | None = None, **settings: Any) -> Any:
            run = runs[family][0]
            db = db or f"sqlite:///{tmp_path / f'{family}.db'}"
            images = tmp_path / "images"
            return stack.enter_context(open_inspector(run, db, ServiceConfig(**settings), images, threads=1))

        yield start


@pytest.fixture(scope="session")
def bad_png() -> Callable[[int], bytes]:
    """PNG bytes of a frame with a black square, different per seed."""
    return lambda seed: png(bad_image(seed))


@pytest.fixture(scope="session")
def kind_png() -> Callable[[str, int], bytes]:
    """PNG bytes of a frame with a defect of a kind (:func:`kind_image`), different per seed."""
    return lambda kind, seed: png(kind_image(kind, seed))


def write_labelled(root: Path) -> Path:
    """A dataset folder: good frames, and dark squares under defect/dark with their masks (no bright lines)."""
    for folder in ("good", "defect/dark", "masks/dark"):
        (root / folder).mkdir(parents=True)
    for i in range(10):
        (root / "good" / f"{i}.png").write_bytes(png(good_image(100 + i)))
    for i in range(8):
        image = kind_image("dark", 200 + i)
        (root / "defect" / "dark" / f"{i}.png").write_bytes(png(image))
        (root / "masks" / "dark" / f"{i}.png").write_bytes(png((image == 0).astype(np.float32)))
    return root


@pytest.fixture(scope="session")
def labelled() -> Callable[[Path], Path]:
    """``labelled(root)``: write :func:`write_labelled`'s dataset folder at ``root``."""
    return write_labelled


@pytest.fixture(scope="session")
def known_kinds_file(runs: Runs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Known kinds of the SSIM-AE run written by ``aoikit known-kinds`` from :func:`write_labelled`'s dataset."""
    from typer.testing import CliRunner

    from aoikit.cli import app

    root = tmp_path_factory.mktemp("known")
    data, out = write_labelled(root / "data"), root / "kinds.json"
    result = CliRunner().invoke(
        app, ["known-kinds", "--run", str(runs["ssim_ae"][0]), "--data", str(data), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


class Receiver:
    """A loopback HTTP server that answers 500 to the first ``failures`` POSTs (after ``delay`` seconds: longer than
    the webhook's timeout, a receiver that hangs), then 204; keeps the bodies."""

    def __init__(self, failures: int, delay: float = 0.0) -> None:
        self.failures = failures
        self.bodies: list[dict[str, Any]] = []
        self.times: list[float] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.times.append(time.monotonic())
                outer.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                failing = len(outer.bodies) <= outer.failures
                if failing:
                    time.sleep(delay)
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    """``receiver(failures, delay=0.0)``: a :class:`Receiver` on a free loopback port, shut after the test."""
    made: list[Receiver] = []
    yield lambda *args: made.append(Receiver(*args)) or made[-1]
    for r in made:
        r.server.shutdown()
        r.server.server_close()


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="session")
def wait_for() -> Callable[..., None]:
    """``wait_for(condition, timeout=20.0)``: poll ``condition`` until true; fail after ``timeout`` seconds."""
    return _wait_for


T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _row(when: datetime = T0, camera: str = "cam1", anomalous: bool = False, key: str | None = None) -> Inspection:
    """An inspection row with made-up values."""
    return Inspection(
        id=new_id(), created_at=when, frame_key=key, source="api", line="L1", camera=camera, part_id="",
        image_sha256="0" * 64, map_sha256="1" * 64, overlay_sha256="2" * 64, width=64, height=48,
        score=0.9 if anomalous else 0.1, image_threshold=0.5, pixel_threshold=0.4, anomalous=anomalous,
        regions=[{"box": [1, 2, 3, 4], "polygon": [[1, 2], [1, 4], [3, 4]], "score_max": 1.0, "score_mean": 0.8,
                  "area": 4}],
        model_name="ssim_ae", model_version="abc", backend="torch", latency_ms=3.5,
    )  # fmt: skip


@pytest.fixture
def row() -> Callable[..., Any]:
    """``row(when, camera, anomalous, key)``: an unsaved inspection row with made-up values."""
    return _row


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh results database: a SQLite file, or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'results.db'}"
    return str(request.getfixturevalue("postgres_url"))
