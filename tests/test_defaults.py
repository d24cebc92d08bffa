"""One place for each default and one check for each rule: the SSIM window and the calibration quantiles."""

import pytest

from aoikit.errors import AoikitError, check_fraction, check_window
from aoikit.losses.ssim import WINDOW
from aoikit.metrics.calibration import IMAGE_QUANTILE, PIXEL_QUANTILE
from aoikit.models.families import FAMILIES
from aoikit.training import TrainConfig


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.family)
def test_every_family_defaults_to_the_one_window_and_quantiles(family: type) -> None:
    config = family.config_cls(model=family.model_names[0])
    assert (config.window, config.pixel_quantile, config.image_quantile) == (WINDOW, PIXEL_QUANTILE, IMAGE_QUANTILE)


def test_the_training_loss_shares_the_window() -> None:
    assert TrainConfig().window_size == WINDOW


@pytest.mark.parametrize("bad", [1, 2, 4, 12])
def test_a_window_must_be_odd_and_at_least_3(bad: int) -> None:
    with pytest.raises(AoikitError, match=f"window must be an odd number ≥ 3, got {bad}"):
        check_window(bad)
    with pytest.raises(ValueError):
        check_window(bad)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.5, 2.0])
def test_a_fraction_lies_strictly_between_0_and_1(bad: float) -> None:
    with pytest.raises(AoikitError, match="q must lie strictly between 0 and 1"):
        check_fraction(bad, "q")
