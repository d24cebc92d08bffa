"""Settings of the inspection service and the folder watcher, checked once when made; defaults live here."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aoikit.data.image_io import MAX_PIXELS
from aoikit.errors import AoikitError, check_fraction
from aoikit.service.novelty import SUPPORT, WINDOW

MB = 1 << 20


@dataclass(frozen=True)
class ServiceConfig:
    """How frames are taken in, outlined and watched for a rising anomaly rate.

    Attributes:
        max_upload: largest request body in bytes (a batch counts as one).
        max_pixels: largest decoded frame, width × height.
        max_batch: most frames in one batch request.
        min_region_area: regions with fewer pixels are dropped.
        alert_window: the rate alert looks at this many newest frames of a camera.
        false_alarm_rate: chance that a window of good parts trips the rate alert at one check.
        webhook: URL each new alert is POSTed to (none: alerts are only stored and shown).
        webhook_retries: further tries after a failed delivery.
        webhook_backoff: seconds before the first retry; doubled before each next one.
        settle: seconds a watched file must stand still before it is read (without a close-write event).
        known_kinds: known kinds saved by ``aoikit known-kinds`` (:meth:`KnownKinds.save`); with them, recurring
            regions unlike every known kind raise "new kind" alerts (none: no such alerts).
        supervised: a supervised run (``aoikit train --model unet``) that names each region's defect type;
            recurring regions it does not explain raise "new kind" alerts (instead of ``known_kinds``).
        new_kind_support: frames with similar unknown regions a "new kind" alert needs.
        new_kind_window: the newest this many frames are searched for that support.
    """

    max_upload: int = 20 * MB
    max_pixels: int = MAX_PIXELS
    max_batch: int = 32
    min_region_area: int = 16
    alert_window: int = 200
    false_alarm_rate: float = 1e-3
    webhook: str | None = None
    webhook_retries: int = 5
    webhook_backoff: float = 1.0
    settle: float = 1.0
    known_kinds: Path | None = None
    supervised: Path | None = None
    new_kind_support: int = SUPPORT
    new_kind_window: int = WINDOW

    def __post_init__(self) -> None:
        positive = ("max_upload", "max_pixels", "max_batch", "alert_window", "new_kind_support", "new_kind_window")
        for name in positive:
            if getattr(self, name) < 1:
                raise AoikitError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_pixels > MAX_PIXELS:
            raise AoikitError(f"max_pixels must be at most {MAX_PIXELS} (what images are read up to)")
        check_fraction(self.false_alarm_rate, "false_alarm_rate")
        if self.min_region_area < 1 or min(self.webhook_retries, self.webhook_backoff, self.settle) < 0:
            raise AoikitError("min_region_area must be ≥ 1; webhook_retries, webhook_backoff and settle ≥ 0")
        if self.known_kinds is not None and self.supervised is not None:
            raise AoikitError("give known kinds or a supervised run for new-kind alerts, not both")
        if self.webhook is not None and not self.webhook.startswith(("http://", "https://")):
            raise AoikitError(f"webhook must be an http:// or https:// URL, got {self.webhook!r}")
        if self.new_kind_support > self.new_kind_window:
            raise AoikitError("new_kind_support must be at most new_kind_window (frames searched for it)")


def service_config(max_upload_mb: float | None = None, **options: Any) -> ServiceConfig:
    """A :class:`ServiceConfig` from the options given (None: the default); ``max_upload_mb`` in MiB."""
    if max_upload_mb is not None:
        options["max_upload"] = int(max_upload_mb * MB)
    return ServiceConfig(**{name: value for name, value in options.items() if value is not None})
