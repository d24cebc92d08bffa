"""onnxruntime's spinning worker threads against torch's, for GANomaly-SSIM-SSIM at 128² (generator + score).

Usage: ``python benchmarks/ort_spinning.py [--frames 200]``. Times batch-1 frames through onnxruntime sessions
with 1 and 2 intra-op threads, with ``session.intra_op.allow_spinning`` on (onnxruntime's default) and off
(aoikit's choice), for ngf 16 and 64, all in one process with torch at every available core. Prints a table.
"""

import argparse

import onnxruntime as ort
import torch

from aoikit.evaluation.latency import frame_latency, timing_setup
from aoikit.models.ganomaly.export import to_onnx
from aoikit.models.ganomaly.network import GANomaly, GeneratorOutput
from aoikit.models.ganomaly.presets import get_preset
from aoikit.models.ganomaly.score import anomaly_score

PRESET = get_preset("ganomaly-ssim-ssim")
SCORE = PRESET.score_config()


def session(onnx: bytes, threads: int, spinning: bool) -> ort.InferenceSession:
    """A CPU session with ``threads`` intra-op threads and worker spinning on or off."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    return ort.InferenceSession(onnx, options, providers=["CPUExecutionProvider"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200, help="timed frames per row, after warm-up")
    args = parser.parse_args()
    print(timing_setup(None)[1], "\n")
    frame = torch.rand(1, 1, PRESET.image_size, PRESET.image_size, generator=torch.Generator().manual_seed(0))
    print("| ngf | onnxruntime threads | spinning | p50 ms | p99 ms |\n|---:|---:|:-:|---:|---:|")
    for ngf in (16, 64):
        torch.manual_seed(0)
        onnx = to_onnx(GANomaly(PRESET.model_config(ngf=ngf, ndf=ngf)).eval())
        for spinning in (True, False):
            for threads in (1, 2):
                run = session(onnx, threads, spinning)

                def score(run: ort.InferenceSession = run) -> torch.Tensor:
                    outputs = run.run(None, {"x": frame.numpy()})
                    with torch.inference_mode():
                        out = GeneratorOutput(*(torch.from_numpy(o) for o in outputs))
                        return anomaly_score(frame, out, SCORE.lam, SCORE.distance, SCORE.window_size)

                ms = frame_latency(score, args.frames)
                print(f"| {ngf} | {threads} | {'on' if spinning else 'off'} | {ms['p50']:.2f} | {ms['p99']:.2f} |")


if __name__ == "__main__":
    main()
