"""Checkpoints as config.json + safetensors, written atomically; never pickled modules.

A checkpoint directory holds ``config.json`` ({"model": name, "model_config": {...}, **extra}) and
``model.safetensors``; a training checkpoint adds ``state.json`` + ``state.safetensors`` with the optimizer and
trainer state (tensors in safetensors, everything else in JSON). Loading rebuilds the network through a ``build``
function the caller passes (:func:`aoikit.models.create_model`), so training never imports the models.

Writes go to a temporary sibling directory, are fsynced, and are then swapped in with two renames
(``dir`` -> ``.dir.old``, ``.dir.tmp`` -> ``dir``). A crash at any point leaves either the previous
or the new checkpoint complete: if ``dir`` is missing, :func:`load_checkpoint` reads ``.dir.old``,
and the next save puts it back first.
"""

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from aoikit.errors import AoikitError

CONFIG, WEIGHTS, STATE_JSON, STATE_TENSORS = "config.json", "model.safetensors", "state.json", "state.safetensors"
ARRAYS = "arrays.safetensors"
Build = Callable[..., nn.Module]
"""``build(name, **model_config)``: a fresh network of a registry name and configuration."""


def model_config(model: nn.Module) -> dict[str, Any]:
    """The config of a registered model as a plain dict (what :func:`aoikit.models.create_model` takes back)."""
    config = getattr(model, "config", None)
    if config is None or not is_dataclass(config) or isinstance(config, type):
        raise AoikitError(f"{type(model).__name__} has no dataclass `config` attribute")
    return asdict(config)


def _sibling(directory: Path, suffix: str) -> Path:
    return directory.with_name(f".{directory.name}.{suffix}")


def _fsync(path: Path) -> None:
    """Flush a file, or a directory entry on POSIX, to disk."""
    if path.is_dir() and os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _encode(obj: Any, tensors: dict[str, torch.Tensor], key: str) -> Any:
    """JSON-able copy of nested dicts/lists/tuples with tensors moved into ``tensors``."""
    if isinstance(obj, torch.Tensor):
        tensors[key] = obj.detach().cpu().contiguous()
        return {"__tensor__": key}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, tensors, f"{key}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, tensors, f"{key}.{i}") for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        items = [[k, _encode(v, tensors, f"{key}.{k}")] for k, v in obj.items()]
        return dict(items) if all(isinstance(k, str) for k in obj) else {"__items__": items}
    return obj


def _decode(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of :func:`_encode`."""
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        return tensors[obj["__tensor__"]]
    if "__tuple__" in obj:
        return tuple(_decode(v, tensors) for v in obj["__tuple__"])
    if "__items__" in obj:
        return {k: _decode(v, tensors) for k, v in obj["__items__"]}
    return {k: _decode(v, tensors) for k, v in obj.items()}


def _write_json(path: Path, data: Any, indent: int | None = None) -> None:
    with path.open("w") as f:
        json.dump(data, f, indent=indent)
        f.flush()
        os.fsync(f.fileno())


def _write_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(path))
    _fsync(path)


def _restore_interrupted_swap(directory: Path) -> None:
    """Undo what a crash between the two renames of a save left behind."""
    old = _sibling(directory, "old")
    if old.is_dir():
        if directory.is_dir():
            shutil.rmtree(old)
        else:
            old.rename(directory)


def checkpoint_exists(directory: Path) -> bool:
    """Whether a complete checkpoint is at ``directory``, after undoing an interrupted save (call before resuming)."""
    _restore_interrupted_swap(Path(directory))
    return (Path(directory) / CONFIG).is_file()


def save_checkpoint(
    directory: Path,
    model_name: str,
    model: nn.Module,
    extra: dict[str, Any] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    trainer_state: dict[str, Any] | None = None,
    arrays: dict[str, torch.Tensor] | None = None,
) -> None:
    """Atomically write a checkpoint that :func:`load_checkpoint` rebuilds through the model registry.

    Args:
        directory: the checkpoint directory; replaced as a whole.
        model_name: the registry name of ``model``.
        model: a registered model.
        extra: JSON-able entries merged into config.json (e.g. the run configuration).
        optimizer: also save its state, for :func:`load_training_state`.
        trainer_state: also save this nested dict of JSON values and tensors (epoch, RNG states, ...).
        arrays: named tensors learned beside the weights (e.g. statistics of good images), for :func:`load_arrays`.
    """
    if extra and {"model", "model_config"} & set(extra):
        raise ValueError("extra must not contain the keys 'model' or 'model_config'")
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    _restore_interrupted_swap(directory)
    tmp, old = _sibling(directory, "tmp"), _sibling(directory, "old")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    _write_json(tmp / CONFIG, {"model": model_name, "model_config": model_config(model), **(extra or {})}, indent=2)
    _write_tensors(tmp / WEIGHTS, model.state_dict())
    if optimizer is not None or trainer_state is not None:
        tensors: dict[str, torch.Tensor] = {}
        state = {"optimizer": optimizer.state_dict() if optimizer else None, "trainer": trainer_state}
        _write_json(tmp / STATE_JSON, _encode(state, tensors, "state"))
        _write_tensors(tmp / STATE_TENSORS, tensors)
    if arrays:
        _write_tensors(tmp / ARRAYS, arrays)
    _fsync(tmp)
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    _fsync(directory.parent)
    shutil.rmtree(old, ignore_errors=True)


def _readable(directory: Path) -> Path:
    """The directory holding the newest complete checkpoint, recovering a half-finished swap."""
    directory = Path(directory)
    if (directory / CONFIG).is_file():
        return directory
    old = _sibling(directory, "old")
    if not directory.exists() and (old / CONFIG).is_file():
        return old
    raise AoikitError(f"{directory}: no checkpoint here (expected {CONFIG} and {WEIGHTS})")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise AoikitError(f"{path}: unreadable checkpoint file ({exc})") from exc


def _read_tensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(path))
    except (OSError, SafetensorError) as exc:
        raise AoikitError(f"{path}: unreadable checkpoint file ({exc})") from exc


def _load_weights(directory: Path, model: nn.Module) -> None:
    weights = _read_tensors(directory / WEIGHTS)
    expected = model.state_dict()
    missing, unexpected = sorted(set(expected) - set(weights)), sorted(set(weights) - set(expected))
    reshaped = sorted(k for k in set(expected) & set(weights) if expected[k].shape != weights[k].shape)
    if missing or unexpected or reshaped:
        problems = [
            f"{len(v)} {what} (first: {v[0]})"
            for what, v in (("missing", missing), ("unexpected", unexpected), ("of another shape", reshaped))
            if v
        ]
        raise AoikitError(f"{directory / WEIGHTS}: weights do not fit the model: {'; '.join(problems)}")
    model.load_state_dict(weights)


def load_checkpoint(directory: Path, build: Build) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model saved by :func:`save_checkpoint` with ``build`` (:data:`Build`).

    Returns:
        The model (on CPU) and the whole config.json, including the ``extra`` entries.
    """
    directory = _readable(directory)
    config = _read_json(directory / CONFIG)
    if not isinstance(config, dict) or "model" not in config or "model_config" not in config:
        raise AoikitError(f"{directory / CONFIG}: not a checkpoint config (needs 'model' and 'model_config')")
    model = build(config["model"], **config["model_config"])
    _load_weights(directory, model)
    return model, config


def load_arrays(directory: Path) -> dict[str, torch.Tensor]:
    """The ``arrays`` given to :func:`save_checkpoint` (empty when none were saved)."""
    path = _readable(directory) / ARRAYS
    return _read_tensors(path) if path.is_file() else {}


def load_training_state(directory: Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Load weights and optimizer state from a training checkpoint into ``model`` and ``optimizer``.

    Returns:
        The ``trainer_state`` given to :func:`save_checkpoint`.
    """
    directory = _readable(directory)
    if not (directory / STATE_JSON).is_file():
        raise AoikitError(f"{directory}: a model-only checkpoint, without optimizer and trainer state")
    state = _decode(_read_json(directory / STATE_JSON), _read_tensors(directory / STATE_TENSORS))
    _load_weights(directory, model)
    try:
        optimizer.load_state_dict(state["optimizer"])
    except (KeyError, ValueError, TypeError) as exc:
        raise AoikitError(f"{directory}: optimizer state does not fit ({exc})") from exc
    return dict(state["trainer"] or {})
