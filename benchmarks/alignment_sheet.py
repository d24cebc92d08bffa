"""Contact sheet of every image of a dataset after part alignment, to check the pose by eye.

Usage: ``python benchmarks/alignment_sheet.py --data ../shared/data/mvtec_ad/screw --out sheet.png``. Turns each
training and test image with :func:`aoikit.preprocess.align_part` (long axis horizontal, wider end left), writes
thumbnails in rows to PNG sheets (``sheet_0.png``, ``sheet_1.png``, ... beside ``--out``), and prints how many
images each sheet holds. A part the wrong way round stands out at a glance.
"""

import argparse
from pathlib import Path

import cv2
import numpy as np

from aoikit.data.arrays import load_images
from aoikit.data.open import open_dataset
from aoikit.preprocess import align_part


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="sheet path; an index is added per sheet")
    parser.add_argument("--thumb", type=int, default=64, help="thumbnail side in pixels")
    parser.add_argument("--columns", type=int, default=24)
    parser.add_argument("--rows", type=int, default=10, help="rows per sheet")
    args = parser.parse_args()
    dataset = open_dataset(args.data)
    images = load_images([*dataset.train, *dataset.test], desc="aligning")
    size = (args.thumb, args.thumb)
    thumbs = [cv2.resize(align_part(im)[0], size, interpolation=cv2.INTER_AREA) for im in images]
    thumbs += [np.ones(size, np.float32)] * (-len(thumbs) % args.columns)
    rows = [np.hstack(thumbs[i : i + args.columns]) for i in range(0, len(thumbs), args.columns)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print("| sheet | images |\n|---|---:|")
    for k, first in enumerate(range(0, len(rows), args.rows)):
        path = args.out.with_name(f"{args.out.stem}_{k}{args.out.suffix}")
        cv2.imwrite(str(path), (np.clip(np.vstack(rows[first : first + args.rows]), 0, 1) * 255).astype(np.uint8))
        shown = min(len(images) - first * args.columns, args.rows * args.columns)
        print(f"| {path} | {shown} |")


if __name__ == "__main__":
    main()
