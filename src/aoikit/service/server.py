"""Put an inspector together from a run folder, and serve it: the parts ``aoikit serve`` and ``aoikit watch`` share."""

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from aoikit.data.fingerprint import check_same_data
from aoikit.detector import Detector
from aoikit.errors import AoikitError
from aoikit.export import AUTO, is_export, resolve_backend
from aoikit.models.onnx_backend import ONNXRUNTIME
from aoikit.runs import load_run
from aoikit.runtime import configure_runtime
from aoikit.service.alerts import RegionJudge
from aoikit.service.app import make_app
from aoikit.service.blobs import BlobStore
from aoikit.service.inspector import Inspector, ModelInfo, model_version
from aoikit.service.novelty import KnownKinds, NoveltyJudge
from aoikit.service.settings import ServiceConfig
from aoikit.service.store import ResultStore
from aoikit.service.store.database import sqlite_url
from aoikit.service.supervised_judge import SupervisedJudge
from aoikit.webguard import BoundServer, bind, is_loopback, new_token, server_url

log = logging.getLogger(__name__)
MIN_KEY = 16
"""Shortest API key accepted."""
SWITCH_INTERVAL = 0.0005
"""Seconds a Python thread may hold the GIL while another waits for it (Python's default: 0.005). The event loop
answering a frame waits for the GIL behind the writer and alert-check threads; at the default it waited up to 5 ms
a frame (docs/RESULTS.md)."""


def default_db(run: Path) -> str:
    """The results database of a run when ``--db`` is not given: a SQLite file in the run folder."""
    return sqlite_url(run / "inspections" / "results.db")


@contextmanager
def open_inspector(
    run: Path,
    db: str | None = None,
    config: ServiceConfig | None = None,
    images: Path | None = None,
    judge: RegionJudge | None = None,
    device: str = "cpu",
    threads: int | None = None,
) -> Iterator[Inspector]:
    """An inspector for the calibrated model of ``run``, warmed up (one blank frame), closed on exit.

    Args:
        run: run folder written by ``aoikit train``.
        db: results database URL (default: SQLite in ``run/inspections``); migrated on open.
        config: limits and alert settings.
        images: folder for frames, maps and overlays (default ``run/inspections/images``); servers sharing a
            database should share it too.
        judge: the new-kind judge (default: one on ``config.known_kinds`` or ``config.supervised``, else none).
        device: inference device (on the CPU the network runs in onnxruntime where it can: :func:`serving_detector`).
        threads: torch and onnxruntime CPU threads (default: every core).
    """
    config = config or ServiceConfig()
    configure_runtime(threads)
    sys.setswitchinterval(SWITCH_INTERVAL)
    detector = serving_detector(run, device)
    model = ModelInfo(detector.config.model, run_version(run), detector.backend)
    judge = judge or novelty_judge(config, run, device)
    store = ResultStore.open(db or default_db(run))
    blobs = BlobStore(images or run / "inspections" / "images")
    inspector = Inspector(detector, store, blobs, model, config, judge)
    try:
        inspector.warm_up()
        yield inspector
    finally:
        inspector.close()


def serving_detector(run: Path, device: str = "cpu") -> Detector:
    """The calibrated detector of ``run`` with its network in onnxruntime where that is installed and the device is
    the CPU; in torch otherwise, or when the network cannot be exported (logged)."""
    detector = load_run(run, device)
    if resolve_backend(AUTO, detector.device) != ONNXRUNTIME or detector.backend == ONNXRUNTIME:
        return detector
    try:
        return detector.use_backend(ONNXRUNTIME)
    except (AoikitError, RuntimeError, NotImplementedError) as exc:  # an operator the exporter cannot take
        log.warning("serving %s in torch: its network did not export to ONNX (%s)", run, exc)
        return detector


def run_version(run: Path) -> str:
    """The version of the model of a run or export folder (:func:`model_version`), as results and known kinds name
    it."""
    return model_version(run if is_export(run) else run / "model")


def novelty_judge(config: ServiceConfig, run: Path, device: str = "cpu") -> RegionJudge | None:
    """A judge of new kinds for the detector of ``run``, on the known kinds or the supervised run ``config`` names
    (None when it names none).

    Raises:
        AoikitError: the file cannot be read, holds no known kinds of this version or was made with another run's
            model; or the supervised run is not a calibrated supervised run, or learned from another dataset.
    """
    support, window = config.new_kind_support, config.new_kind_window
    if config.supervised is not None:
        check_same_data(run, config.supervised, "the supervised run was")
        return SupervisedJudge(load_run(config.supervised, device), support, window)
    if config.known_kinds is None:
        return None
    known = KnownKinds.load(config.known_kinds)
    version = run_version(run)
    if known.model_version != version:
        made = f"model {known.model_version}" if known.model_version else "a model it does not record"
        raise AoikitError(
            f"{config.known_kinds}: known kinds of {made}, not of this run's model {version}; "
            f"write them for this run with 'aoikit known-kinds --run {run}'"
        )
    return NoveltyJudge(known, support, window)


def api_key_for(host: str, api_key: str | None) -> tuple[str | None, bool]:
    """The key requests must carry (None on loopback without one) and whether it was made here.

    Raises:
        AoikitError: the key given is shorter than :data:`MIN_KEY` characters.
    """
    if api_key is not None:
        if len(api_key) < MIN_KEY or not api_key.isprintable():
            raise AoikitError(f"the API key must be at least {MIN_KEY} printable characters")
        return api_key, False
    return (None, False) if is_loopback(host) else (new_token(), True)


@contextmanager
def inspection_server(
    inspector: Inspector, host: str = "127.0.0.1", port: int = 8000, api_key: str | None = None
) -> Iterator[BoundServer]:
    """The inspection service on ``host:port``, ready to serve. Off loopback every request needs the API key
    (``X-Aoikit-Token`` header or ``?token=``): ``api_key``, or a new one printed in the URL.

    Raises:
        AoikitError: the port is busy or the API key is too short.
    """
    token, made_here = api_key_for(host, api_key)
    with bind(host, port) as sock:
        url = server_url(host, sock.getsockname()[1], token if made_here else None)
        yield BoundServer(app_server(inspector, host, token), sock, url)


def app_server(inspector: Inspector, host: str, token: str | None) -> uvicorn.Server:
    """The uvicorn server of the inspection app of ``inspector`` (guarded for ``host``, API key ``token``)."""
    app = make_app(inspector, host, token)
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=10))
