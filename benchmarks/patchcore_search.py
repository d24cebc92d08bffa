"""Nearest-neighbour search for one frame's patches against memory banks of 10k, 100k and 1M vectors.

Usage: .venv/bin/python benchmarks/patchcore_search.py [--sizes 10000 100000 1000000] [--queries 1024] [--threads 2]

Queries are the 1024 patch features of a 256×256 frame (stride 8) of PatchCore's default 152 dimensions; the bank
is random float32. Methods: aoikit's chunked torch search (`nearest_distances`, exact), and faiss-cpu's exact
IndexFlatL2 when it is installed. Prints ms per frame (median of --repeats), the bank's memory and the largest
block of distances held at once. Prints Markdown.
"""

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable

import torch

from aoikit.models.patchcore import memory
from aoikit.runtime import configure_runtime
from metric_exactness import machine


def timed(call: Callable[[], object], repeats: int) -> float:
    """Median wall milliseconds of ``repeats`` calls after one warm-up call."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=1024)
    parser.add_argument("--dims", type=int, default=152)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    threads = configure_runtime(args.threads)
    print(f"{machine()}; torch threads {threads}\n")
    has_faiss = importlib.util.find_spec("faiss") is not None
    print("| bank vectors | bank memory | torch chunked ms/frame | largest block | faiss IndexFlatL2 ms/frame |")
    print("|---:|---:|---:|---:|---:|")
    generator = torch.Generator().manual_seed(0)
    queries = torch.randn(args.queries, args.dims, generator=generator)
    for size in args.sizes:
        memory.check_memory(size, args.dims, "benchmark bank")
        bank = torch.randn(size, args.dims, generator=generator)
        bank_sq = (bank * bank).sum(1)
        ms = timed(lambda: memory.nearest_distances(queries, bank, bank_sq), args.repeats)  # noqa: B023
        block = min(size, max(1, memory.CHUNK_ELEMENTS // args.queries)) * args.queries * 4
        faiss_ms = "not installed"
        if has_faiss:
            import faiss

            faiss.omp_set_num_threads(threads)
            index = faiss.IndexFlatL2(args.dims)
            index.add(bank.numpy())
            faiss_ms = f"{timed(lambda: index.search(queries.numpy(), 1), args.repeats):.1f}"  # noqa: B023
        print(
            f"| {size:,} | {size * args.dims * 4 / 2**20:.0f} MiB | {ms:.1f} | {block / 2**20:.0f} MiB | {faiss_ms} |"
        )


if __name__ == "__main__":
    main()
