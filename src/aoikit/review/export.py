"""Write the reviewed labels with the same writers as the pre-labels."""

from dataclasses import replace
from pathlib import Path

from aoikit.errors import AoikitError
from aoikit.labels.prelabel import WRITERS
from aoikit.outputs import output_folder
from aoikit.review.state import corrected_labels, load_state


def export_review(labels_dir: Path, out_dir: Path, formats: list[str] | None = None) -> dict[str, list[Path]]:
    """Write the accepted images of the review of ``labels_dir`` to ``out_dir/<format>/``.

    An accepted image keeps its accepted regions (drawn ones included, adjusted boxes applied);
    rejected and deleted regions are dropped, and images not accepted are left out. The images are
    copied from the pre-label datasets (paths in the state are relative to ``labels_dir``).

    Args:
        labels_dir: the pre-label folder holding ``review.json`` (made from the pre-labels if missing).
        out_dir: where to write.
        formats: names from ``WRITERS``; default the formats of the pre-labels.

    Returns:
        The files written, by format name.

    Raises:
        AoikitError: a format name is unknown.
    """
    state = load_state(labels_dir)
    formats = state["formats"] if formats is None else formats
    unknown = [name for name in formats if name not in WRITERS]
    if unknown:
        raise AoikitError(f"unknown label format {', '.join(unknown)}; known formats: {', '.join(WRITERS)}")
    labels = [replace(item, image_path=str(labels_dir / item.image_path)) for item in corrected_labels(state)]
    output_folder(out_dir)
    return {name: WRITERS[name](labels, out_dir / name, state["class_names"]) for name in formats}
