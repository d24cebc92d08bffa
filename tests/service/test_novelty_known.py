"""Known kinds fitted from a dataset's labelled folders, through a real detector's regions."""

from pathlib import Path

import numpy as np

from aoikit.data.arrays import load_images
from aoikit.data.open import open_dataset
from aoikit.models.ssim_ae.detector import SSIMAEDetector, SSIMAEDetectorConfig
from aoikit.service.descriptors import FEATURES
from aoikit.service.known_kinds import GOOD, describe_frames, fit_known_kinds
from aoikit.service.novelty import NoveltyJudge, alert_regions


def test_known_kinds_from_labelled_folders_name_regions_by_the_ground_truth(tiny_dataset: Path) -> None:
    dataset = open_dataset(tiny_dataset)
    config = SSIMAEDetectorConfig(model_config={"latent_dim": 8}, image_size=128, patch_size=32, pixel_quantile=0.99)
    detector = SSIMAEDetector.from_model(SSIMAEDetector(config).build_model(), config)
    detector.calibrate(load_images(dataset.train))
    frames = describe_frames(detector, dataset.test)
    assert len(frames) == len(dataset.test)
    for f, sample in zip(frames, dataset.test, strict=True):
        assert f.descriptors.shape == (len(f.kinds), len(FEATURES)) == (len(f.boxes), len(FEATURES))
        assert set(f.kinds) <= {sample.defect_type, GOOD}
        assert f.frame_kind == (sample.defect_type if sample.label else GOOD)
    known = fit_known_kinds(frames, k=2, far_rate=0.1)
    assert set(known.kind_names) <= {*dataset.defect_types, GOOD}
    assert len(known.kind_names) >= 2
    judge = NoveltyJudge(known, support=2, window=5)
    for f in frames:
        for alert in judge.judge_described(f.descriptors, f.boxes, frame=f.frame):
            assert all(r.distance > 1.0 and r.frame in alert.details["frames"] for r in alert_regions(alert))
    assert judge.frames_seen == len(frames)
    assert np.isfinite(np.concatenate([f.descriptors for f in frames])).all()
