"""The grids hold the study's values, caps drop only what they name, and every point is a valid preset."""

from aoikit.models.ganomaly.detector import GANomalyDetector, GANomalyDetectorConfig
from aoikit.models.ganomaly.space import COARSE, FINE, detector_config


def test_the_coarse_grid_is_the_studys() -> None:
    assert COARSE.weights == (1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
    assert COARSE.latent_dim == (64, 100, 128, 256, 512, 1024)
    assert COARSE.image_size == (64, 128, 256)
    assert COARSE.window == (9, 11, 13)  # the odd windows among the study's kernels 8–14
    assert COARSE.lam == (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def test_the_fine_grid_holds_every_coarse_value() -> None:
    for name, choices in COARSE.choices().items():
        assert set(choices) <= set(FINE.choices()[name]), name
    assert len(FINE.weights) == 21 and len(FINE.lam) == 21


def test_caps_drop_larger_sizes_only() -> None:
    capped = COARSE.capped(max_size=128, max_latent=100)
    assert capped.image_size == (64, 128) and capped.latent_dim == (64, 100)
    assert capped.weights == COARSE.weights and capped.lam == COARSE.lam
    assert COARSE.capped(None, None) == COARSE


def test_every_corner_of_the_grid_builds_a_detector() -> None:
    for pick in (0, -1):
        params = {name: choices[pick] for name, choices in COARSE.choices().items()}
        config = detector_config(GANomalyDetectorConfig("ganomaly-ssim-l1", gamma=True), params, width=4)
        preset = config.preset()
        assert (preset.image_size, preset.window_size, preset.lam) == (
            params["image_size"],
            params["window"],
            params["lam"],
        )
        assert (preset.w_con, preset.w_enc, preset.w_adv) == (params["w_con"], params["w_enc"], params["w_adv"])
        model = GANomalyDetector(config).build_model()
        assert model.config.latent_dim == params["latent_dim"] and model.config.ngf == 4
