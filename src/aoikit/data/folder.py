"""Index a plain folder layout: good/, defect/ (flat or one subfolder per type) and masks/."""

from pathlib import Path

from aoikit.data.dataset import AnomalyDataset, Sample
from aoikit.data.image_io import list_images, list_subfolders, require_folder
from aoikit.data.split import train_val_split
from aoikit.errors import DataError


def _mask_index(folder: Path) -> dict[str, Path]:
    """Images in ``folder`` by file stem; empty when the folder does not exist."""
    return {p.stem: p for p in list_images(folder)} if folder.is_dir() else {}


def _defects(images: list[Path], kind: str, masks: dict[str, Path], expected: Path) -> list[Sample]:
    """Samples for defect images of one type, each paired with the mask of the same stem."""
    samples = []
    for image in images:
        mask = masks.get(image.stem)
        if mask is None:
            raise DataError(image, f"defect image has no mask (expected {expected / image.stem}.png)")
        samples.append(Sample(image, label=1, defect_type=kind, mask_path=mask))
    return samples


def load_folder(root: Path, test_good_fraction: float = 0.2, seed: int = 0) -> AnomalyDataset:
    """Index ``good/``, ``defect/`` and ``masks/``; good images are split by image into train and test.

    Defect images lie in ``defect/`` (type ``defect``) or ``defect/<type>/``. The mask of ``defect/x.png``
    is ``masks/x.<ext>``; that of ``defect/<type>/x.png`` is ``masks/<type>/x.<ext>`` or ``masks/x.<ext>``.

    Raises:
        DataError: a folder is missing, ``good/`` holds no image, or a defect image has no mask.
    """
    root = require_folder(Path(root), "the dataset folder")
    good_dir = require_folder(root / "good", "images of good parts")
    good = [Sample(p) for p in list_images(good_dir)]
    if not good:
        raise DataError(good_dir, "no images of good parts (png, jpg, jpeg, bmp, tif)")
    train, test = train_val_split(good, test_good_fraction, seed)
    held_out = len(test)
    defect_dir = require_folder(root / "defect", "images with defects")
    mask_dir = root / "masks"
    flat_masks = _mask_index(mask_dir)
    test += _defects(list_images(defect_dir), "defect", flat_masks, mask_dir)
    for type_dir in list_subfolders(defect_dir):
        masks = flat_masks | _mask_index(mask_dir / type_dir.name)
        test += _defects(list_images(type_dir), type_dir.name, masks, mask_dir / type_dir.name)
    return AnomalyDataset(name=root.resolve().name, train=train, test=test, held_out_good=held_out)
