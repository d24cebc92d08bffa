"""Label Studio's brush RLE (``"format": "rle"``), as in label-studio-converter's ``brush.py``.

The mask is drawn as RGBA bytes (every channel 255 inside, 0 outside), flattened row by row, and
run-length packed as a bit stream (most significant bit first): a header of the value count (32 bits),
word size − 1 (5 bits) and four run-length field widths − 1 (4 bits each), then one record per run:
1 bit (1 = a run of one value, 0 = that many literal values), 2 bits choosing the width of the
length field, the length − 1, and the value(s) in word-size bits. Zero bits pad the last byte.
"""

from collections.abc import Sequence

import numpy as np

WORD_SIZE = 8
RLE_SIZES = (3, 4, 8, 16)
_MAX_RUN = 1 << RLE_SIZES[-1]


def brush_encode(mask: np.ndarray) -> list[int]:
    """Brush RLE bytes of a bool H×W mask."""
    values = np.repeat(mask.ravel().astype(np.uint8) * 255, 4)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(values)) + 1])
    lengths = np.diff(np.append(starts, values.size))
    pieces = -(-lengths // _MAX_RUN)  # runs longer than the widest length field are split
    run = np.repeat(np.arange(starts.size), pieces)
    chunk = np.full(run.size, _MAX_RUN)
    chunk[np.cumsum(pieces) - 1] = lengths - _MAX_RUN * (pieces - 1)
    size_index = np.searchsorted([1 << b for b in RLE_SIZES], chunk)
    header = [values.size, WORD_SIZE - 1, *(b - 1 for b in RLE_SIZES)]
    n = chunk.size
    records = np.stack([np.ones(n, dtype=np.int64), size_index, chunk - 1, values[starts][run]], axis=1)
    widths = np.stack([np.full(n, 1), np.full(n, 2), np.take(RLE_SIZES, size_index), np.full(n, WORD_SIZE)], axis=1)
    fields = np.concatenate([np.asarray(header, dtype=np.int64), records.ravel()])
    field_widths = np.concatenate([[32, 5, 4, 4, 4, 4], widths.ravel()])
    return np.packbits(_bits(fields, field_widths)).tolist()


def _bits(fields: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Each field written MSB first in its width, all fields end to end."""
    owner = np.repeat(np.arange(fields.size), widths)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(widths) - widths, widths)
    return ((fields[owner] >> (widths[owner] - 1 - offset)) & 1).astype(np.uint8)


def brush_decode(rle: Sequence[int], height: int, width: int) -> np.ndarray:
    """Bool H×W mask of brush RLE bytes (a pixel is set where its alpha byte is non-zero)."""
    bits = np.unpackbits(np.asarray(rle, dtype=np.uint8)).astype(np.int64)
    pos = 0

    def read(n: int) -> int:
        nonlocal pos
        value = int(bits[pos : pos + n] @ (1 << np.arange(n - 1, -1, -1)))
        pos += n
        return value

    num, word = read(32), read(5) + 1
    sizes = [read(4) + 1 for _ in range(4)]
    out = np.zeros(num, dtype=np.uint8)
    i = 0
    while i < num:
        is_run = read(1)
        j = i + 1 + read(sizes[read(2)])
        if is_run:
            out[i:j] = read(word)
        else:
            out[i:j] = [read(word) for _ in range(j - i)]
        i = j
    return out.reshape(height, width, 4)[:, :, 3] > 0
