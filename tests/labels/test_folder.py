"""The plain folder format opens as a labelled dataset: images in good/ or defect/<class>/, exact masks."""

from pathlib import Path

import numpy as np

from aoikit.data.labelled import labelled_defects
from aoikit.data.open import open_dataset
from aoikit.labels import ImageLabels
from aoikit.labels.folder import write_folder
from aoikit.labels.geometry import rasterize


def test_the_folder_reads_back_as_labelled_defects_with_exact_masks(
    sample: list[ImageLabels], class_names: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "folder"
    written = write_folder(sample, out, class_names)
    assert all(p.is_file() and out in p.parents for p in written)
    dataset = open_dataset(out)
    assert [s.path.name for s in dataset.train + dataset.test if s.label == 0] == ["000.tif"]
    (item,) = labelled_defects(dataset, out)
    assert item.defect_type == "anomaly"  # the class of the largest region (the L-shape)
    outlines = [rasterize(r.polygon, r.holes, item.mask.shape[0], item.mask.shape[1]) for r in sample[0].regions]
    np.testing.assert_array_equal(item.mask, np.logical_or.reduce(outlines))
    assert item.mask.sum() > 1000
