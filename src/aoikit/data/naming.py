"""Names for per-image output files."""

from collections.abc import Sequence
from pathlib import PurePath


def unique_stems(image_paths: Sequence[str | PurePath]) -> list[str]:
    """File stems for per-image files: the image's stem, led by its folder names while two collide.

    ``test/crack/000.png`` and ``test/good/000.png`` become ``crack_000`` and ``good_000``.
    """
    paths = [PurePath(p).with_suffix("") for p in image_paths]
    parts = [[part for part in path.parts if part != path.anchor] for path in paths]
    stems: list[str] = []
    for depth in range(1, max((len(p) for p in parts), default=0) + 1):
        stems = ["_".join(p[-depth:]) for p in parts]
        if len(set(stems)) == len(stems):
            return stems
    return [f"{i:05d}_{stem}" for i, stem in enumerate(stems)]
