"""Cut images into patches and put them back; random training crops."""

import torch
from torch import Tensor


def _axis_positions(size: int, patch: int, stride: int) -> list[int]:
    """Start offsets along one axis, the last one flush with the border."""
    if patch <= 0 or stride <= 0:
        raise ValueError(f"patch and stride must be positive, got patch={patch}, stride={stride}")
    if size < patch:
        raise ValueError(f"image side {size} is smaller than the patch size {patch}")
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts


def grid_positions(height: int, width: int, patch: int, stride: int) -> list[tuple[int, int]]:
    """Top-left (y, x) corners of patches covering the whole image, row by row.

    When ``size - patch`` is not a multiple of ``stride``, a last patch is aligned to the border.
    """
    xs = _axis_positions(width, patch, stride)
    return [(y, x) for y in _axis_positions(height, patch, stride) for x in xs]


def _axis_index(size: int, patch: int, stride: int, device: torch.device) -> Tensor:
    """Pixel indices (n_positions, patch) covered by each patch along one axis."""
    starts = torch.tensor(_axis_positions(size, patch, stride), device=device)
    return starts[:, None] + torch.arange(patch, device=device)


def tile(image: Tensor, patch: int, stride: int | None = None) -> Tensor:
    """Cut a (C, H, W) image into (N, C, patch, patch) patches in ``grid_positions`` order."""
    if image.ndim != 3:
        raise ValueError(f"expected a (C, H, W) image, got shape {tuple(image.shape)}")
    c, h, w = image.shape
    rows = _axis_index(h, patch, stride or patch, image.device)
    cols = _axis_index(w, patch, stride or patch, image.device)
    patches = image[:, rows[:, :, None, None], cols[None, None, :, :]]  # (C, ny, p, nx, p)
    return patches.permute(1, 3, 0, 2, 4).reshape(-1, c, patch, patch)


def stitch(patches: Tensor, size: tuple[int, ...], patch: int, stride: int | None = None) -> Tensor:
    """Put (N, C, patch, patch) patches from ``tile`` back into a (C, H, W) image, averaging overlaps.

    Sums are taken in float64, so ``stitch(tile(x)) == x`` exactly for float32 ``x``.
    """
    h, w = size
    rows = _axis_index(h, patch, stride or patch, patches.device)
    cols = _axis_index(w, patch, stride or patch, patches.device)
    if patches.ndim != 4 or patches.shape[0] != len(rows) * len(cols) or patches.shape[-2:] != (patch, patch):
        raise ValueError(f"expected ({len(rows) * len(cols)}, C, {patch}, {patch}) patches, got {tuple(patches.shape)}")
    c = patches.shape[1]
    flat = (rows[:, None, :, None] * w + cols[None, :, None, :]).reshape(-1)  # pixel of each patch value
    values = patches.permute(1, 0, 2, 3).reshape(c, -1).double()
    total = torch.zeros(c, h * w, dtype=torch.float64, device=patches.device).index_add_(1, flat, values)
    count = torch.bincount(rows.reshape(-1), minlength=h)[:, None] * torch.bincount(cols.reshape(-1), minlength=w)
    return (total.reshape(c, h, w) / count).to(patches.dtype)


def random_crops(
    images: Tensor,
    n: int,
    patch: int,
    generator: torch.Generator,
    flips: bool = True,
    rotations: bool = True,
) -> Tensor:
    """Draw ``n`` random (C, patch, patch) crops from a batch (N, C, H, W), each from a random image and place.

    With ``flips``, each crop is flipped up-down and left-right with probability 1/2 each; with ``rotations``,
    it is turned by a random multiple of 90°. Draws come from ``generator``; crops are gathered in one pass.
    """
    if images.ndim != 4:
        raise ValueError(f"expected a (N, C, H, W) batch, got shape {tuple(images.shape)}")
    count, c, h, w = images.shape
    if h < patch or w < patch:
        raise ValueError(f"images of {h}×{w} are smaller than the patch size {patch}")
    device = images.device
    dtype = torch.int32 if images.numel() < 2**31 else torch.int64  # int32 indices are much faster to build

    def draw(high: int) -> Tensor:
        return torch.randint(high, (n, 1, 1), generator=generator, device=generator.device).to(device, dtype)

    source, top, left = draw(count), draw(h - patch + 1), draw(w - patch + 1)
    flip_rows = draw(2) == 1 if flips else torch.zeros_like(source, dtype=torch.bool)
    flip_cols = draw(2) == 1 if flips else torch.zeros_like(source, dtype=torch.bool)
    turn = torch.zeros_like(flip_rows)
    if rotations:  # a quarter turn is a transpose and a column flip; a half turn flips rows and columns
        quarter = draw(4)
        turn = quarter % 2 == 1
        flip_rows = flip_rows ^ (quarter >= 2)
        flip_cols = flip_cols ^ ((quarter == 1) | (quarter == 2))
    offsets = torch.arange(patch, device=device, dtype=dtype)
    rows = (top + torch.where(flip_rows, patch - 1 - offsets, offsets)) * w  # (n, 1, p): flat offset of each row
    cols = left + torch.where(flip_cols, patch - 1 - offsets, offsets)
    down, across = torch.where(turn, cols, rows), torch.where(turn, rows, cols)  # a transpose swaps the two
    start = source * (c * h * w) + torch.arange(c, device=device, dtype=dtype)[:, None] * (h * w)  # (n, C, 1)
    index = (start[..., None] + down[..., None]) + across[:, :, None, :]  # (n, C, p, 1) + (n, 1, 1, p)
    return images.reshape(-1).index_select(0, index.reshape(-1)).view(n, c, patch, patch)
