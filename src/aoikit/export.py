"""A calibrated detector exported for serving: its network as ONNX and everything inference needs, in one folder.

The folder holds what :meth:`aoikit.detector.Detector.save` writes (``config.json``: preprocessing settings,
thresholds and calibrated state; ``model.safetensors``; ``arrays.safetensors`` when the family learned arrays),
the network as ``model.onnx``, and ``export.json``, written last, naming the format and the model. Loading runs
the network through onnxruntime when it is installed and the device is the CPU, else through torch from the
same folder; :attr:`~aoikit.detector.Detector.backend` says which.
"""

import json
from pathlib import Path
from typing import Any

import torch

import aoikit
from aoikit.detector import Detector
from aoikit.errors import AoikitError
from aoikit.models.families import detector_class
from aoikit.models.onnx_backend import ONNXRUNTIME, OPSET, TORCH, onnx_available

MANIFEST, GRAPH = "export.json", "model.onnx"
OWN_FILES = (MANIFEST, GRAPH, "config.json", "model.safetensors", "arrays.safetensors")
"""What an export folder holds; --overwrite replaces nothing else (a results database served from it, say)."""
FORMATS = ("onnx",)
AUTO = "auto"
"""Backend choice: onnxruntime when installed and the device is the CPU, else torch."""


def is_export(folder: Path) -> bool:
    """Whether ``folder`` holds a complete export (its manifest is written last)."""
    return (Path(folder) / MANIFEST).is_file()


def export_detector(
    detector: Detector, out_dir: Path, fmt: str = "onnx", source: str = "", overwrite: bool = False
) -> Path:
    """Write ``detector`` (calibrated) to ``out_dir`` as described above; returns the manifest's path.

    A folder that holds anything but an earlier export is refused (so a results database kept there by
    ``aoikit serve`` is never replaced), and an earlier export needs ``overwrite``.
    """
    if fmt not in FORMATS:
        raise AoikitError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise AoikitError(f"{out_dir}: exists and is not a folder; choose another --out")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        others = sorted(p.name for p in out_dir.iterdir() if p.name not in OWN_FILES)
        if others or not is_export(out_dir):
            shown = ", ".join(others[:3]) or "no export manifest"
            raise AoikitError(f"{out_dir}: holds other files ({shown}); export into a new or empty folder")
        if not overwrite:
            raise AoikitError(f"{out_dir}: holds an export already; pass --overwrite to replace it")
    graph = detector.onnx_graph()
    try:
        detector.save(out_dir)  # replaces the folder as a whole
        (out_dir / GRAPH).write_bytes(graph)
        manifest = {
            "format": fmt,
            "model": detector.config.model,
            "family": detector.family,
            "graph": GRAPH,
            "opset": OPSET,
            "aoikit": aoikit.__version__,
            "torch": torch.__version__,
            "source": source,
        }
        (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    except OSError as exc:
        raise AoikitError(f"{out_dir}: cannot write the export ({exc.strerror or exc})") from None
    return out_dir / MANIFEST


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of an export folder, checked."""
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
        fmt, model = manifest["format"], manifest["model"]
    except FileNotFoundError:
        raise AoikitError(f"{folder}: not an export folder (no {MANIFEST}); write one with 'aoikit export'") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AoikitError(f"{path}: not an export manifest ({exc.__class__.__name__}: {exc})") from None
    if fmt not in FORMATS or not isinstance(model, str):
        raise AoikitError(f"{path}: unknown format {fmt!r} or model {model!r}")
    return dict(manifest)


def resolve_backend(backend: str, device: torch.device) -> str:
    """``auto`` made concrete: onnxruntime when installed and ``device`` is the CPU, else torch."""
    if backend != AUTO:
        return backend
    return ONNXRUNTIME if onnx_available() and device.type == "cpu" else TORCH


def load_exported(folder: Path, device: str = "cpu", backend: str = AUTO, threads: int | None = None) -> Detector:
    """The calibrated detector of an export folder on ``device``, its network run by ``backend``
    ("auto", "onnxruntime" or "torch"); ``threads``: onnxruntime intra-op threads (default: torch's)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    detector = detector_class(manifest["model"]).load(folder).to(device)
    chosen = resolve_backend(backend, detector.device)
    graph = None
    if chosen == ONNXRUNTIME:
        try:
            graph = (folder / str(manifest.get("graph", GRAPH))).read_bytes()
        except OSError as exc:
            raise AoikitError(f"{folder}: cannot read the ONNX graph ({exc.strerror or exc})") from None
    return detector.use_backend(chosen, graph, threads)
