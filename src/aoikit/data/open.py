"""Open a dataset folder whatever its layout."""

from pathlib import Path

from aoikit.data.dataset import AnomalyDataset
from aoikit.data.folder import load_folder
from aoikit.data.image_io import list_subfolders, require_folder
from aoikit.data.mvtec import load_mvtec
from aoikit.errors import DataError


def open_dataset(path: Path, category: str | None = None) -> AnomalyDataset:
    """Index an MVTec AD category (``train/`` inside) or a plain folder (``good/`` inside).

    ``category`` names a subfolder of ``path`` to open instead, as in an MVTec AD root.

    Raises:
        DataError: the folder is missing, matches neither layout, or its content is invalid.
    """
    folder = require_folder(Path(path) / category if category else Path(path), "the dataset folder")
    if (folder / "train").is_dir():
        return load_mvtec(folder)
    if (folder / "good").is_dir():
        return load_folder(folder)
    categories = [p.name for p in list_subfolders(folder) if (p / "train").is_dir()]
    if categories:
        raise DataError(folder, f"holds MVTec AD categories; choose one of: {', '.join(categories)}")
    raise DataError(folder, "not an MVTec AD category folder (train/, test/) nor a folder with good/ and defect/")
