"""Dataset index types shared by every reader: paths and labels, no pixels."""

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One image on disk; ``label`` is 0 for good, 1 for defective."""

    path: Path
    label: int = 0
    defect_type: str = "good"
    mask_path: Path | None = None


@dataclass
class AnomalyDataset:
    """Good training images and a labelled test set; ``held_out_good`` of the good images given for training were
    kept for the test set instead (the folder layout's split)."""

    name: str
    train: list[Sample] = field(default_factory=list)
    test: list[Sample] = field(default_factory=list)
    held_out_good: int = 0

    @property
    def defect_types(self) -> list[str]:
        """Sorted defect-type names seen in the test set (``good`` excluded)."""
        return sorted({s.defect_type for s in self.test if s.label == 1})
