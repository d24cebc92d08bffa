"""ONNX graphs of a family's network, and onnxruntime sessions that run them in place of the torch module.

Every family exports the network its inference runs (:meth:`aoikit.detector.Detector.onnx_graph`) with
:func:`export_graph` and runs it back through :class:`OnnxModule`; a dynamic batch axis lets one graph take
any number of patches or images.
"""

import importlib.util
import tempfile
import warnings
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from aoikit.errors import AoikitError

OPSET = 17
ONNXRUNTIME, TORCH = "onnxruntime", "torch"
"""Names of the inference backends a detector reports (:attr:`aoikit.detector.Detector.backend`)."""
BACKENDS = (ONNXRUNTIME, TORCH)


def onnx_available() -> bool:
    """Whether onnxruntime is installed."""
    return importlib.util.find_spec("onnxruntime") is not None


def check_backend(backend: str, device: torch.device) -> None:
    """Raise a one-line error unless ``backend`` is known and, for onnxruntime, installed and on the CPU."""
    if backend not in BACKENDS:
        raise AoikitError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == ONNXRUNTIME and not onnx_available():
        raise AoikitError("the onnxruntime backend needs onnxruntime (pip install aoikit[fast])")
    if backend == ONNXRUNTIME and device.type != "cpu":
        raise AoikitError(f"the onnxruntime backend runs on the CPU; the detector is on {device}")


def export_graph(
    module: nn.Module, example: Tensor, input_name: str, output_names: Sequence[str], spatial: bool = False
) -> bytes:
    """``module`` in eval mode as an ONNX graph of one input and the named outputs, batch axis dynamic (and height
    and width, the last two axes, with ``spatial``).

    ``module`` is exported as it is (call it on an eval-mode copy when it trains elsewhere).
    """
    names = list(output_names)
    axes = {0: "batch", 2: "height", 3: "width"} if spatial else {0: "batch"}
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter is deprecated but needs no onnxscript
        path = Path(tmp) / "network.onnx"
        torch.onnx.export(
            module,
            (example,),
            path,
            dynamo=False,
            input_names=[input_name],
            output_names=names,
            dynamic_axes=dict.fromkeys([input_name, *names], axes),
            opset_version=OPSET,
        )
        return path.read_bytes()


def session(graph: bytes, threads: int | None = None) -> Any:
    """An onnxruntime CPU session of ``graph``; ``threads`` intra-op threads (None: ``torch.get_num_threads()``).

    Workers do not spin between calls: spinning threads fight torch's, which computes maps and scores between
    frames (docs/RESULTS.md, "GANomaly per-frame latency").
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


class OnnxModule(nn.Module):
    """A one-input ONNX graph called like the module it was exported from; CPU only, no parameters.

    Returns the only output as a tensor, or a tuple of tensors when the graph has several.
    """

    def __init__(self, graph: bytes, threads: int | None = None) -> None:
        super().__init__()
        self.session = session(graph, threads)
        self.input_name = self.session.get_inputs()[0].name

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, ...]:
        """Run the graph on float32 ``x`` (moved to CPU)."""
        feed = {self.input_name: x.detach().to("cpu", torch.float32).contiguous().numpy()}
        outputs = tuple(torch.from_numpy(o) for o in self.session.run(None, feed))
        return outputs[0] if len(outputs) == 1 else outputs


class OneNetworkBackend:
    """``use_backend`` / ``backend`` for a detector whose inference runs one module: its torch ``model_`` or that
    module's ONNX graph in onnxruntime (CPU only). Mix in before :class:`aoikit.detector.Detector`."""

    _onnx: OnnxModule | None = None
    device: torch.device
    model_: nn.Module

    @abstractmethod
    def onnx_graph(self) -> bytes:
        """The network as an ONNX graph (each family's own)."""

    def use_backend(self, backend: str, graph: bytes | None = None, threads: int | None = None) -> Any:
        """Run the network through "onnxruntime" (``graph``, default: exported now; ``threads`` intra-op threads)
        or "torch"; the torch model stays for saving either way."""
        check_backend(backend, self.device)
        self._onnx = OnnxModule(graph or self.onnx_graph(), threads) if backend == ONNXRUNTIME else None
        return self

    @property
    def backend(self) -> str:
        """What runs the network now: "onnxruntime" or "torch"."""
        return ONNXRUNTIME if self._network() is self._onnx else TORCH

    def _network(self) -> nn.Module:
        """The onnxruntime session when one is set and inference runs on the CPU, else the torch model."""
        return self._onnx if self._onnx is not None and self.device.type == "cpu" else self.model_
