"""One frame in, one stored result out: decode, score, outline regions, commit; the alerts are checked after.

The serve API and the folder watcher both go through :class:`Inspector`, so their results land in the same
store and count towards the same alerts. Durable when :meth:`Inspector.inspect` returns: the frame's file
(written, fsynced and renamed into place and its folder fsynced, while the model runs), then the result row (one
committed transaction: SQLite in WAL mode with synchronous=FULL, or PostgreSQL's commit). The answer waits for
nothing else. The map and overlay are drawn by :meth:`Inspector.pictures` from the stored frame with the same
model when they are first asked for. The new-kind judge and the rate test run after the answer, on one thread, in
frame order, in batches (:mod:`aoikit.service.checks`: the judge sees every frame, the rate is tested once per
camera per batch, on the newest window); :meth:`Inspector.settle` waits for them, so a reader of this process's
alerts sees every frame it answered. A process killed between the two skips those checks; the rate window is
tested again at its camera's next frame.
"""

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from aoikit.data.image_io import decode_gray, read_gray
from aoikit.detector import Analysis, Detector
from aoikit.errors import DataError
from aoikit.labels.regions import Region, RegionConfig, extract_regions
from aoikit.service.alerts import AlertDesk, RegionJudge, RegionNamer
from aoikit.service.blobs import BlobStore
from aoikit.service.checks import AfterAnswer
from aoikit.service.frames import FrameError, check_frame
from aoikit.service.metrics import ServiceMetrics
from aoikit.service.outbox import StoreOutbox
from aoikit.service.render import map_png, overlay_png
from aoikit.service.settings import ServiceConfig
from aoikit.service.store import Alert, Inspection, ResultStore, new_id
from aoikit.service.views import alert_json, region_json
from aoikit.service.webhook import Webhook


@dataclass(frozen=True)
class FrameMeta:
    """Where a frame comes from, as the line tells it (empty when not given)."""

    line: str = ""
    camera: str = ""
    part_id: str = ""


@dataclass(frozen=True)
class Answered:
    """A frame answered, as its checks need it."""

    row: Inspection
    image: np.ndarray
    analysis: Analysis
    regions: list[Region]


@dataclass(frozen=True)
class ModelInfo:
    """The model the results are made with: its name, a version (the weights' hash) and the inference backend."""

    name: str
    version: str
    backend: str


def model_version(model_dir: Path) -> str:
    """The first 12 hex digits of the sha256 of a saved model's config and weights."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors"):
        digest.update((model_dir / name).read_bytes())
    return digest.hexdigest()[:12]


WRITERS = 4
"""Threads that write frames to the blob store and look up frame keys while the model runs."""


class Inspector:
    """Inspects frames with a calibrated detector and keeps every result.

    Args:
        detector: the calibrated detector (one frame runs through it at a time).
        store: the results database.
        blobs: where frames, maps and overlays are written.
        model: what the results name as their model.
        config: limits and alert settings.
        judge: asked about the regions of each anomalous frame (with its stored id); any new kinds it names become
            alerts. A judge that can ``name`` regions (:class:`RegionNamer`) names them before they are stored.
    """

    def __init__(
        self,
        detector: Detector,
        store: ResultStore,
        blobs: BlobStore,
        model: ModelInfo,
        config: ServiceConfig,
        judge: RegionJudge | None = None,
    ) -> None:
        self.detector = detector
        self.store = store
        self.blobs = blobs
        self.model = model
        self.config = config
        self.judge = judge
        self.metrics = ServiceMetrics()
        self.expected_rate = 1.0 - detector.config.image_quantile
        self.metrics.expected_rate.set(self.expected_rate)
        self.webhook = (
            None
            if config.webhook is None
            else Webhook(config.webhook, config.webhook_retries, config.webhook_backoff, StoreOutbox(store))
        )
        self.alerts = AlertDesk(
            store,
            self.expected_rate,
            config.alert_window,
            config.false_alarm_rate,
            self._announce,
            delivery="none" if self.webhook is None else "pending",
        )
        self._model_lock = threading.Lock()
        self._writer = ThreadPoolExecutor(WRITERS, thread_name_prefix="frame-writer")
        self._checks = AfterAnswer(self._check_alerts)

    def warm_up(self) -> None:
        """Run a blank frame through the model, so the first real frame does not pay for first-call set-up."""
        size = self.detector.working_size
        with self._model_lock:
            self.detector.analyse(np.full((size, size), 0.5, dtype=np.float32))

    def describe(self) -> str:
        """One line naming the model, its backend and the database."""
        model, url = self.model, self.store.engine.url.render_as_string(hide_password=True)
        return f"{model.name} {model.version} ({model.backend}); results in {url}"

    def close(self) -> None:
        """Send the alerts still queued for the webhook (briefly), then release the database."""
        self._checks.close()
        if self.webhook is not None:
            self.webhook.close()
        self._writer.shutdown()
        self.store.close()

    def inspect(
        self, data: bytes, meta: FrameMeta, source: str, frame_key: str | None = None
    ) -> tuple[Inspection, bool]:
        """Inspect one encoded frame and commit the result.

        Args:
            data: the image file's bytes (PNG, JPEG, BMP or TIFF; told from the bytes).
            meta: line, camera and part id to store with it.
            source: "api" or "watch".
            frame_key: a key naming this frame; a frame whose key is stored already is not inspected again.

        Returns:
            The stored result and whether it is new (False: stored before under ``frame_key``).

        Raises:
            FrameError: the frame is refused (status 413, 415 or 422), or 409: ``frame_key`` names another image.
        """
        start = time.perf_counter()
        check_frame(data, self.config.max_pixels)
        try:
            image = decode_gray(data, "frame")
        except DataError as exc:
            raise FrameError(422, exc.problem) from None
        stored_row = None if frame_key is None else self._writer.submit(self.store.by_key, frame_key)
        stored_frame = self._writer.submit(self.blobs.put, data)  # made durable while the model runs
        try:
            analysis, score, model_ms = self._analyse(image)
            detector = self.detector
            regions = extract_regions(
                analysis.maps[detector.config.window],
                RegionConfig(threshold=detector.threshold_, min_area=self.config.min_region_area),
            )
            if regions and isinstance(self.judge, RegionNamer):
                with self._model_lock:
                    regions = self.judge.name(image, regions)
        finally:
            image_sha = stored_frame.result()
        if stored_row is not None and (stored := stored_row.result()) is not None:  # a resent frame
            return _same_frame(stored, image_sha), False
        row = Inspection(
            id=new_id(),
            created_at=datetime.now(UTC),
            frame_key=frame_key,
            source=source,
            line=meta.line,
            camera=meta.camera,
            part_id=meta.part_id,
            image_sha256=image_sha,
            map_sha256=None,
            overlay_sha256=None,
            width=image.shape[1],
            height=image.shape[0],
            score=score,
            image_threshold=detector.image_threshold_,
            pixel_threshold=detector.threshold_,
            anomalous=score > detector.image_threshold_,
            regions=[region_json(r) for r in regions],
            model_name=self.model.name,
            model_version=self.model.version,
            backend=self.model.backend,
            latency_ms=(time.perf_counter() - start) * 1000,
            model_ms=model_ms,
        )
        row, new = self.store.add(row)
        if not new:
            return _same_frame(row, image_sha), False
        self.metrics.latency.observe(row.latency_ms / 1000)
        self.metrics.inspections.labels("anomalous" if row.anomalous else "good").inc()
        self._checks.put(Answered(row, image, analysis, regions))
        return row, True

    def settle(self) -> None:
        """Wait until the alert checks of every frame answered so far are done."""
        self._checks.settle()

    def _check_alerts(self, answered: list[Answered]) -> None:
        """The judge's new kinds in each anomalous frame of ``answered``, in order, then the rate test of each
        camera among them."""
        for frame in answered:
            if frame.row.anomalous and self.judge is not None:
                found = self.judge.judge(frame.image, frame.analysis, frame.regions, frame=frame.row.id)
                self.alerts.new_kinds(frame.row, found)
        for camera in dict.fromkeys(frame.row.camera for frame in answered):
            self.metrics.anomaly_rate.labels(camera).set(self.alerts.check_rate(camera).rate)

    def pictures(self, row: Inspection) -> tuple[str, str]:
        """The sha256 names of ``row``'s map and overlay PNGs; drawn from its stored frame when first asked for.

        Raises:
            FrameError: 409, another model made ``row`` (only a server running that model draws it the same);
                410, its frame file cannot be read.
        """
        if row.map_sha256 is not None and row.overlay_sha256 is not None:
            return row.map_sha256, row.overlay_sha256
        if (row.model_name, row.model_version) != (self.model.name, self.model.version):
            raise FrameError(
                409,
                f"inspection {row.id} was made by {row.model_name} {row.model_version} and this server runs "
                f"{self.model.name} {self.model.version}: a server running that model draws its pictures",
            )
        try:
            image = read_gray(self.blobs.path(row.image_sha256))
        except DataError as exc:
            raise FrameError(410, f"the frame of inspection {row.id} cannot be read ({exc.problem})") from None
        anomaly_map = self._analyse(image)[0].maps[self.detector.config.window]
        map_sha = self.blobs.put(map_png(anomaly_map, row.pixel_threshold))
        overlay_sha = self.blobs.put(overlay_png(image, anomaly_map > row.pixel_threshold))
        self.store.set_pictures(row.id, map_sha, overlay_sha)
        return map_sha, overlay_sha

    def _analyse(self, image: np.ndarray) -> tuple[Analysis, float, float]:
        """The model's analysis of ``image``, its image score, and the model's own time in ms."""
        detector = self.detector
        with self._model_lock:
            start = time.perf_counter()
            analysis = detector.analyse(image)
            score = float(detector.image_scores([analysis], detector.config.window)[0])
            return analysis, score, (time.perf_counter() - start) * 1000

    def _announce(self, alert: Alert, frames: list[str]) -> None:
        self.metrics.alerts.labels(alert.kind).inc()
        if self.webhook is not None:
            self.webhook.send(alert_json(alert, frames))


def _same_frame(stored: Inspection, image_sha: str) -> Inspection:
    """``stored``, the result under a frame's key, if it is of the same image (sha256 ``image_sha``).

    Raises:
        FrameError: 409, the key names another image's result (the key was used twice).
    """
    if stored.image_sha256 != image_sha:
        raise FrameError(409, f"this key names inspection {stored.id} of another image; send a new key for a new frame")
    return stored
