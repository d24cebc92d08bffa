"""Speed of DSSIM forward + backward, ours against a 2-D convolution, kornia and torchmetrics.

Usage: ``python benchmarks/ssim_speed.py [--threads 1] [--repeats 30]``. Also prints how far the
other libraries' SSIM maps are from ours at window 11, and whether they honour windows 7 and 15.
"""

import argparse
import os
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from skimage.data import camera
from torch import Tensor

from aoikit.losses import dssim, ssim_map
from aoikit.losses.ssim import gaussian_kernel1d

Loss = Callable[[Tensor, Tensor], Tensor]
Map = Callable[[Tensor, Tensor, int], Tensor]


def conv2d_dssim(x: Tensor, y: Tensor, window_size: int = 11) -> Tensor:
    """The same DSSIM with one non-separable 2-D depthwise convolution."""
    k1 = gaussian_kernel1d(window_size)
    c, pad = x.shape[1], window_size // 2
    xy = F.pad(torch.cat([x, y], 1), (pad,) * 4, mode="reflect")
    xp, yp = xy[:, :c], xy[:, c:]
    stats = torch.cat([xp, yp, xp * xp, yp * yp, xp * yp], 1)
    stats = F.conv2d(stats, torch.outer(k1, k1).expand(5 * c, 1, -1, -1), groups=5 * c)
    mx, my, exx, eyy, exy = stats.split(c, 1)
    s = (2 * mx * my + 1e-4) * (2 * (exy - mx * my) + 9e-4)
    s = s / ((mx * mx + my * my + 1e-4) * (exx - mx * mx + eyy - my * my + 9e-4))
    return ((1 - s) / 2).mean()


def candidates() -> tuple[dict[str, Loss | None], dict[str, Map | None]]:
    """DSSIM losses and SSIM-map functions by name; None where the library is not installed."""
    losses: dict[str, Loss | None] = {"aoikit (separable)": dssim, "2-D conv (inline)": conv2d_dssim}
    maps: dict[str, Map | None] = {}
    try:
        import kornia

        losses["kornia"] = lambda x, y: kornia.losses.ssim_loss(x, y, 11)
        maps["kornia"] = lambda x, y, w: kornia.metrics.ssim(x, y, w)
    except ImportError:
        losses["kornia"] = maps["kornia"] = None
    try:
        warnings.filterwarnings("ignore", category=FutureWarning, module="torchmetrics")
        from torchmetrics.functional import structural_similarity_index_measure as tm_ssim

        def tm_map(x: Tensor, y: Tensor, w: int) -> Tensor:
            return tm_ssim(x, y, kernel_size=w, data_range=1.0, return_full_image=True)[1]

        losses["torchmetrics"] = lambda x, y: (1 - torch.as_tensor(tm_ssim(x, y, data_range=1.0))) / 2
        maps["torchmetrics"] = tm_map
    except ImportError:
        losses["torchmetrics"] = maps["torchmetrics"] = None
    return losses, maps


def time_losses(losses: dict[str, Loss | None], x: Tensor, y: Tensor, repeats: int) -> dict[str, float]:
    """Median ms per forward + backward, the candidates interleaved so load spikes hit all alike."""
    runs: dict[str, list[float]] = {name: [] for name, fn in losses.items() if fn is not None}
    for i in range(repeats + 3):
        for name in runs:
            fn = losses[name]
            assert fn is not None
            xg = x.clone().requires_grad_()
            start = time.perf_counter()
            fn(xg, y).backward()
            if i >= 3:  # warm-up
                runs[name].append((time.perf_counter() - start) * 1e3)
    return {name: statistics.median(t) for name, t in runs.items()}


def check_maps(maps: dict[str, Map | None], x: Tensor, y: Tensor) -> None:
    """Max |difference| to our map on the interior (float64), and whether the window size is honoured."""
    crop, x, y = 8, x.double(), y.double()
    for name, fn in maps.items():
        if fn is None:
            continue
        theirs = {w: fn(x, y, w) for w in (11, 7, 15)}
        for w, m in theirs.items():
            diff = (m - ssim_map(x, y, w))[..., crop:-crop, crop:-crop].abs().max().item()
            if w == 11:
                verdict = ""
            elif torch.equal(m, theirs[11]):
                verdict = "; window ignored: output identical to its window 11"
            else:
                verdict = "; window honoured" + (", same as aoikit" if diff < 1e-4 else ", but unlike aoikit")
            print(f"- {name}, window {w}: max |diff| to aoikit on interior = {diff:.2e}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    env = " ".join(f"{k}={os.environ.get(k, 'unset')}" for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"))
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {env}")
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs\n")

    rng = np.random.default_rng(0)
    img = torch.from_numpy(camera() / 255.0).float()
    x = torch.stack([img[r : r + 128, c : c + 128] for r, c in rng.integers(0, 384, (16, 2))])[:, None]
    y = (x + 0.05 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)

    losses, maps = candidates()
    times = time_losses(losses, x, y, args.repeats)
    print(f"DSSIM forward + backward, batch {tuple(x.shape)}, window 11, median of {args.repeats}\n")
    print("| implementation | ms per call | aoikit speed-up | DSSIM |\n|---|---:|---:|---:|")
    for name, fn in losses.items():
        if fn is None:
            print(f"| {name} | not installed | | |")
        else:
            ratio, value = times[name] / times["aoikit (separable)"], fn(x, y).item()
            print(f"| {name} | {times[name]:.1f} | {ratio:.2f}x | {value:.6f} |")
    print()
    print("SSIM maps in float64 (float32 rounding alone moves any of them by ~2e-4):")
    check_maps(maps, x, y)


if __name__ == "__main__":
    main()
