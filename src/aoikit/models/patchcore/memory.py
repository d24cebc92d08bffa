"""The memory bank: a greedy coreset of good patch features, and nearest-neighbour distances to it.

The coreset is the PatchCore paper's greedy k-centre selection (each new centre is the feature farthest from those
chosen so far) on a Johnson-Lindenstrauss random projection of the features, which keeps the distances roughly
and makes each step cheaper. Distances to the bank are exact, computed in chunks so memory stays bounded.
"""

import os

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from aoikit.errors import AoikitError

CHUNK_ELEMENTS = 1 << 24
"""Largest query × bank block of distances held at once (64 MiB of float32)."""
MEMORY_FRACTION = 0.5
"""A bank (or the features it is chosen from) may use at most this share of the machine's available memory."""


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable on Linux; total physical memory elsewhere)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def check_memory(vectors: int, dims: int, what: str) -> None:
    """Refuse, before anything is built, ``vectors`` float32 features of ``dims`` that would not fit in memory."""
    need = vectors * dims * 4
    limit = int(available_memory() * MEMORY_FRACTION)
    if need > limit:
        raise AoikitError(
            f"{what}: {vectors:,} vectors × {dims} dims need {need / 2**30:.1f} GiB, more than {MEMORY_FRACTION:.0%} "
            f"of the {limit / MEMORY_FRACTION / 2**30:.1f} GiB available; use fewer or smaller images or a smaller "
            "coreset"
        )


def coreset_size(count: int, fraction: float, limit: int) -> int:
    """How many of ``count`` features the coreset keeps: ``fraction`` of them, at most ``limit``, at least 1."""
    return max(1, min(count, limit, round(count * fraction)))


def greedy_coreset(features: Tensor, size: int, projection_dim: int, seed: int = 0) -> Tensor:
    """Indices of ``size`` features chosen by greedy k-centre selection on a random projection to
    ``projection_dim`` dimensions (no projection when the features have no more dimensions)."""
    generator = torch.Generator().manual_seed(seed)
    n, dims = features.shape
    if size >= n:
        return torch.arange(n)
    if projection_dim < dims:
        matrix = torch.randn(dims, projection_dim, generator=generator) / projection_dim**0.5
        projected = features @ matrix
    else:
        projected = features
    norms = (projected * projected).sum(1)
    chosen = torch.empty(size, dtype=torch.long)
    chosen[0] = int(torch.randint(n, (1,), generator=generator))
    nearest = torch.full((n,), float("inf"))
    for i in tqdm(range(1, size), desc="coreset", unit="centre", leave=False, mininterval=1.0):
        centre = projected[chosen[i - 1]]
        torch.minimum(nearest, norms - 2 * (projected @ centre) + centre @ centre, out=nearest)
        chosen[i] = int(torch.argmax(nearest))
    return chosen


def nearest_distances(queries: Tensor, bank: Tensor, bank_sq: Tensor | None = None) -> Tensor:
    """Euclidean distance of each query row to its nearest bank row, the bank taken in chunks."""
    if bank_sq is None:
        bank_sq = (bank * bank).sum(1)
    q_sq = (queries * queries).sum(1, keepdim=True)
    chunk = max(1, CHUNK_ELEMENTS // max(1, queries.shape[0]))
    best = torch.full((queries.shape[0],), float("inf"), dtype=queries.dtype)
    for start in range(0, bank.shape[0], chunk):
        part = bank[start : start + chunk]
        dist = torch.addmm(bank_sq[start : start + chunk][None], queries, part.T, alpha=-2.0) + q_sq
        best = torch.minimum(best, dist.min(1).values)
    return best.clamp_min(0).sqrt()


def stack_features(maps: list[Tensor]) -> Tensor:
    """(N, C, h, w) feature maps of any sizes as one (Σ N·h·w, C) matrix."""
    return torch.cat([m.permute(0, 2, 3, 1).reshape(-1, m.shape[1]) for m in maps])


def as_bank(array: np.ndarray | Tensor) -> Tensor:
    """A contiguous float32 (M, C) bank tensor."""
    bank = torch.as_tensor(array, dtype=torch.float32)
    if bank.ndim != 2 or bank.shape[0] == 0:
        raise AoikitError(f"a memory bank must be a non-empty (vectors, dims) matrix, got shape {tuple(bank.shape)}")
    return bank.contiguous()
