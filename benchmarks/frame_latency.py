"""Per-frame latency of GANomaly-SSIM-SSIM (128², generator + score) at batch 1: eager PyTorch against faster paths.

Usage: ``python benchmarks/frame_latency.py [--threads N] [--frames 200] [--compile]``.
Every path scores the same random frame with the preset's score A; the last column is the largest
difference to the eager fp32 score of the same network over 8 random frames. Prints a Markdown table.
"""

import argparse
import os
from collections.abc import Callable

import torch

from aoikit.evaluation.latency import cpu_name, frame_latency, timing_setup
from aoikit.models.ganomaly.export import OnnxGenerator, fold_batchnorm, onnx_available
from aoikit.models.ganomaly.network import GANomaly, GeneratorOutput
from aoikit.models.ganomaly.presets import get_preset
from aoikit.models.ganomaly.score import anomaly_score

PRESET = get_preset("ganomaly-ssim-ssim")
SCORE = PRESET.score_config()
TARGET_MS = 7.6
Generate = Callable[[torch.Tensor], GeneratorOutput]
Score = Callable[[torch.Tensor], torch.Tensor]


def scorer(generate: Generate, bf16: bool = False) -> Score:
    """Score A of a batch through ``generate`` under inference mode (and bfloat16 autocast)."""

    def run(x: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            return anomaly_score(x, generate(x), SCORE.lam, SCORE.distance, SCORE.window_size)

    return run


def eager(model: GANomaly) -> Score:
    """The baseline: the module as trained, fp32, under ``torch.no_grad``."""

    def run(x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return anomaly_score(x, model.generator(x), SCORE.lam, SCORE.distance, SCORE.window_size)

    return run


def channels_last(model: GANomaly) -> Score:
    """BatchNorm folded, weights and input channels-last."""
    folded = fold_batchnorm(model.generator).to(memory_format=torch.channels_last)
    score = scorer(folded)
    return lambda x: score(x.contiguous(memory_format=torch.channels_last))


def traced(model: GANomaly, example: torch.Tensor) -> Score:
    """``torch.jit.trace`` + ``torch.jit.freeze`` of the folded generator."""
    with torch.no_grad():
        frozen = torch.jit.freeze(torch.jit.trace(fold_batchnorm(model.generator), example))
    return scorer(lambda x: GeneratorOutput(*frozen(x)))


def paths(wide: GANomaly, narrow: dict[int, GANomaly], compile_too: bool) -> dict[str, tuple[int, Score]]:
    """Name -> (ngf, score function); the first one is the baseline."""
    example = torch.rand(1, 1, PRESET.image_size, PRESET.image_size)
    table: dict[str, tuple[int, Score]] = {
        "fp32 eager, no_grad (baseline)": (64, eager(wide)),
        "inference_mode + BatchNorm folded": (64, scorer(fold_batchnorm(wide.generator))),
        "  + channels_last": (64, channels_last(wide)),
        "  + bf16 autocast": (64, scorer(fold_batchnorm(wide.generator), bf16=True)),
        "torch.jit trace + freeze": (64, traced(wide, example)),
    }
    if compile_too:
        table["torch.compile (inductor)"] = (64, scorer(torch.compile(fold_batchnorm(wide.generator))))
    if onnx_available():
        table["onnxruntime (library default)"] = (64, scorer(OnnxGenerator(wide)))
    for ngf, model in narrow.items():
        table[f"fp32 eager, ngf/ndf {ngf}"] = (ngf, eager(model))
        if onnx_available():
            table[f"onnxruntime, ngf/ndf {ngf}"] = (ngf, scorer(OnnxGenerator(model)))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="default: every available core")
    parser.add_argument("--frames", type=int, default=200, help="timed frames per path, after 20 warm-up frames")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (slow to compile)")
    args = parser.parse_args()

    _, conditions = timing_setup(args.threads)
    print(f"{cpu_name()}: {conditions}\n")

    torch.manual_seed(0)
    wide = GANomaly(PRESET.model_config()).eval()
    narrow = {ngf: GANomaly(PRESET.model_config(ngf=ngf, ndf=ngf)).eval() for ngf in (32, 16)}
    g = torch.Generator().manual_seed(1)
    frame, checks = torch.rand(1, 1, 128, 128, generator=g), torch.rand(8, 1, 1, 128, 128, generator=g)
    reference = {ngf: eager(m) for ngf, m in {64: wide, **narrow}.items()}
    results = {}
    for name, (ngf, run) in paths(wide, narrow, args.compile).items():
        error = max(float((run(x) - reference[ngf](x)).abs().max()) for x in checks)
        results[name] = (ngf, frame_latency(lambda run=run: run(frame), args.frames), error)

    base = next(iter(results.values()))[1]["p50"]
    print(f"| path | ngf | p50 ms | p99 ms | vs baseline | ≤ {TARGET_MS} ms | max score diff |")
    print("|---|---:|---:|---:|---:|:-:|---:|")
    for name, (ngf, ms, error) in results.items():
        hit = "yes" if ms["p50"] <= TARGET_MS else "no"
        print(f"| {name} | {ngf} | {ms['p50']:.2f} | {ms['p99']:.2f} | {base / ms['p50']:.2f}x | {hit} | {error:.1e} |")
    load = os.getloadavg()[0]
    print(f"\nbatch 1, {args.frames} frames per path after 20 warm-up frames; load average after: {load:.2f}")
    print(
        "Rows with ngf < 64 are a narrower, different network: report its image AUROC beside the wide one's "
        "(compare_presets(..., overrides={'ngf': 32, 'ndf': 32})) before choosing it for speed."
    )
    if not onnx_available():
        print("onnxruntime is not installed (pip install 'aoikit[fast]'): its rows are missing.")


if __name__ == "__main__":
    main()
