"""The LED study's GANomaly search grid, a finer grid for the last stage, and the detector settings of a point.

The study's SSIM kernel runs from 8 to 14; the project's SSIM needs an odd window, so the grid holds the odd
windows inside that range: 9, 11 and 13.
"""

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aoikit.models.ganomaly.detector import GANomalyDetectorConfig

WEIGHTS = ("w_con", "w_enc", "w_adv")
"""Contextual, encoder and adversarial loss weights."""


def _steps(start: int, stop: int, step: int) -> tuple[int, ...]:
    """1, then ``step``, 2·``step``, … up to ``stop``: the study's weight grid starts at 1, not 0."""
    return (start, *range(step, stop + 1, step))


def _fractions(step: float) -> tuple[float, ...]:
    """0 to 1 in steps of ``step``, rounded so grids of different steps share their values exactly."""
    return tuple(round(i * step, 2) for i in range(round(1 / step) + 1))


@dataclass(frozen=True)
class Grid:
    """The choices of each tuned value, in increasing order."""

    weights: tuple[int, ...]
    latent_dim: tuple[int, ...]
    image_size: tuple[int, ...]
    window: tuple[int, ...]
    lam: tuple[float, ...]

    def choices(self) -> dict[str, tuple[float, ...]]:
        """Each parameter name with its choices."""
        sizes = {"latent_dim": self.latent_dim, "image_size": self.image_size, "window": self.window}
        return {**dict.fromkeys(WEIGHTS, self.weights), **sizes, "lam": self.lam}

    def capped(self, max_size: int | None, max_latent: int | None) -> "Grid":
        """This grid without image sizes above ``max_size`` or latent sizes above ``max_latent`` (None: no cap)."""
        sizes = tuple(s for s in self.image_size if max_size is None or s <= max_size)
        latents = tuple(d for d in self.latent_dim if max_latent is None or d <= max_latent)
        return Grid(self.weights, latents or self.latent_dim[:1], sizes or self.image_size[:1], self.window, self.lam)


COARSE = Grid(
    weights=_steps(1, 100, 10),
    latent_dim=(64, 100, 128, 256, 512, 1024),
    image_size=(64, 128, 256),
    window=(9, 11, 13),
    lam=_fractions(0.1),
)
"""Stages 1 and 2: weights 1, 10, 20, …, 100; λ 0, 0.1, …, 1."""
FINE = Grid(_steps(1, 100, 5), COARSE.latent_dim, COARSE.image_size, COARSE.window, _fractions(0.05))
"""Stage 3: weights 1, 5, 10, …, 100; λ in steps of 0.05; the rest as :data:`COARSE`."""


def detector_config(
    base: "GANomalyDetectorConfig", params: dict[str, Any], width: int | None = None
) -> "GANomalyDetectorConfig":
    """``base`` at a point of the grid; ``width`` sets both networks' base width (ngf, ndf; None: as ``base``)."""
    network = {**base.model_config, "latent_dim": int(params["latent_dim"])} | (
        {"ngf": width, "ndf": width} if width else {}
    )
    return replace(
        base,
        model_config=network,
        window=int(params["window"]),
        image_size=int(params["image_size"]),
        lam=float(params["lam"]),
        w_con=float(params["w_con"]),
        w_enc=float(params["w_enc"]),
        w_adv=float(params["w_adv"]),
    )
