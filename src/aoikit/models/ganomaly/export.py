"""Faster CPU inference for GANomaly generators: BatchNorm folded into the convolutions, or onnxruntime.

At batch 1 on a CPU, onnxruntime runs the 128² generator about twice as fast as eager PyTorch
(``benchmarks/frame_latency.py``); folding BatchNorm is the pure-PyTorch fallback when it is not
installed (``pip install aoikit[fast]``). Both return what the generator returns.
"""

import copy
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from aoikit.models.ganomaly.network import GANomaly, GeneratorOutput
from aoikit.models.onnx_backend import export_graph, onnx_available, session

__all__ = ["Generate", "OnnxGenerator", "fast_generator", "fold_batchnorm", "onnx_available", "to_onnx"]

Generate = Callable[[Tensor], GeneratorOutput]
"""Anything that maps (N, C, S, S) images in [0, 1] to a :class:`GeneratorOutput`."""


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """An eval-mode copy of ``module`` with each BatchNorm2d folded into the convolution before it.

    Only pairs inside an ``nn.Sequential`` are folded; the BatchNorm becomes ``nn.Identity``.
    """
    folded = copy.deepcopy(module).eval()
    for seq in [m for m in folded.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            conv, norm = seq[i], seq[i + 1]
            if isinstance(conv, nn.Conv2d | nn.ConvTranspose2d) and isinstance(norm, nn.BatchNorm2d):
                seq[i] = fuse_conv_bn_eval(conv, norm, transpose=isinstance(conv, nn.ConvTranspose2d))
                seq[i + 1] = nn.Identity()
    return folded


def to_onnx(model: GANomaly) -> bytes:
    """The eval-mode generator of ``model`` as an ONNX graph.

    Input ``x``, outputs ``fake``, ``latent_i`` and ``latent_o``, all with a dynamic batch axis.
    """
    c = model.config
    generator = copy.deepcopy(model.generator).eval()
    example = torch.zeros(1, c.channels, c.image_size, c.image_size)
    return export_graph(generator, example, "x", GeneratorOutput._fields)


class OnnxGenerator:
    """An onnxruntime session of a GANomaly generator, called like the generator itself.

    Args:
        model: the GANomaly model, whose weights are copied into the session, or its :func:`to_onnx` graph.
        threads: intra-op threads; None takes ``torch.get_num_threads()``.
    """

    def __init__(self, model: GANomaly | bytes, threads: int | None = None) -> None:
        # Spinning workers fight torch's threads (the score runs in torch between frames): at 2 threads it
        # doubled p50 and gave 5-9x p99 here; without it, 2 threads beat 1 (docs/RESULTS.md).
        self.session = session(model if isinstance(model, bytes) else to_onnx(model), threads)

    def __call__(self, x: Tensor) -> GeneratorOutput:
        """Reconstruct float32 images ``x`` (N, C, S, S)."""
        outputs = self.session.run(None, {"x": x.detach().to(torch.float32).contiguous().numpy()})
        return GeneratorOutput(*(torch.from_numpy(o) for o in outputs))


def fast_generator(model: GANomaly) -> Generate:
    """The fastest CPU inference path available: onnxruntime when installed, else the BatchNorm-folded generator."""
    if onnx_available() and next(model.parameters()).device.type == "cpu":
        return OnnxGenerator(model)
    return fold_batchnorm(model.generator)
