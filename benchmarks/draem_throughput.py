"""DRAEM training throughput per network size: crops per second of one full step (forward, loss, backward, Adam).

Usage: ``python benchmarks/draem_throughput.py [--threads 1] [--steps 4] [--crop 128] [--batch-size 8]``.
Synthetic random crops, fp32; the first step of each size is a warm-up. Prints a Markdown table.
"""

import argparse
import os
import time

import torch

from aoikit.models import create_model
from aoikit.models.draem.loss import draem_loss
from aoikit.runtime import configure_runtime

SIZES = [  # (recon_width, disc_width, depth, stem)
    (32, 16, 4, 1),
    (16, 16, 4, 1),
    (16, 16, 4, 2),
    (32, 16, 4, 2),
    (16, 16, 3, 4),
    (32, 32, 3, 4),
]


def crops_per_second(size: tuple[int, int, int, int], steps: int, crop: int, batch: int) -> float:
    """Mean crops/s over ``steps`` timed training steps after one warm-up step."""
    recon, disc, depth, stem = size
    model = create_model("draem", recon_width=recon, disc_width=disc, depth=depth, stem=stem)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    x, mask = torch.rand(batch, 1, crop, crop), (torch.rand(batch, 1, crop, crop) > 0.9).float()
    for i in range(steps + 1):
        if i == 1:
            start = time.perf_counter()
        loss = draem_loss(model(x), x, mask)["loss"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return steps * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--crop", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    threads = configure_runtime(args.threads)
    print(f"threads {threads}, crop {args.crop}, batch {args.batch_size}, load average {os.getloadavg()[0]:.1f}")
    print("\n| recon width | disc width | depth | stem | parameters | crops/s |\n|---:|---:|---:|---:|---:|---:|")
    for size in SIZES:
        params = sum(
            p.numel()
            for p in create_model(
                "draem", **dict(zip(("recon_width", "disc_width", "depth", "stem"), size, strict=True))
            ).parameters()
        )
        rate = crops_per_second(size, args.steps, args.crop, args.batch_size)
        print(f"| {size[0]} | {size[1]} | {size[2]} | {size[3]} | {params:,} | {rate:.1f} |", flush=True)


if __name__ == "__main__":
    main()
