"""Index an MVTec AD category folder: train/good, test/<type>, ground_truth/<type>."""

from pathlib import Path

from aoikit.data.dataset import AnomalyDataset, Sample
from aoikit.data.image_io import list_images, list_subfolders, require_folder
from aoikit.errors import DataError


def load_mvtec(root: Path, category: str | None = None) -> AnomalyDataset:
    """Index one MVTec AD category; ``root`` is the category folder, or its parent when ``category`` is given.

    Defect test images need a mask ``ground_truth/<type>/<stem>_mask.<ext>``; good ones have none.

    Raises:
        DataError: a folder is missing, ``train/good`` holds no image, or a defect image has no mask.
    """
    folder = Path(root) / category if category else Path(root)
    require_folder(folder, "the MVTec AD category folder")
    train_dir = require_folder(folder / "train" / "good", "training images of good parts")
    train = [Sample(p) for p in list_images(train_dir)]
    if not train:
        raise DataError(train_dir, "no training images (png, jpg, jpeg, bmp, tif)")
    test: list[Sample] = []
    for type_dir in list_subfolders(require_folder(folder / "test", "test images, one folder per defect type")):
        kind = type_dir.name
        images = list_images(type_dir)
        if kind == "good":
            test += [Sample(p) for p in images]
            continue
        gt_dir = folder / "ground_truth" / kind
        masks = {p.stem: p for p in list_images(gt_dir)} if gt_dir.is_dir() else {}
        for image in images:
            mask = masks.get(f"{image.stem}_mask")
            if mask is None:
                raise DataError(image, f"defect image has no mask (expected {gt_dir / image.stem}_mask.png)")
            test.append(Sample(image, label=1, defect_type=kind, mask_path=mask))
    return AnomalyDataset(name=folder.resolve().name, train=train, test=test)
