"""Explicit model registry: rebuild any model from its name and a config dict."""

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

from torch import nn

from aoikit.errors import AoikitError
from aoikit.training.checkpoint import load_checkpoint

_REGISTRY: dict[str, type[nn.Module]] = {}

M = TypeVar("M", bound=type[nn.Module])


def register_model(name: str) -> Callable[[M], M]:
    """Register a model class under `name`.

    The class must carry a dataclass ``config_cls``, take an instance of it as its only constructor
    argument and keep it as ``self.config``.
    """

    def decorator(cls: M) -> M:
        config_cls = getattr(cls, "config_cls", None)
        if config_cls is None or not is_dataclass(config_cls):
            raise TypeError(f"{cls.__name__} needs a dataclass `config_cls` class attribute")
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"model name {name!r} is already registered to {_REGISTRY[name].__name__}")
        _REGISTRY[name] = cls
        return cls

    return decorator


def list_models() -> list[str]:
    """Names of all registered models, sorted."""
    return sorted(_REGISTRY)


def create_model(name: str, **cfg: Any) -> nn.Module:
    """Build the model registered as `name` from config values; unknown names or keys raise AoikitError."""
    if name not in _REGISTRY:
        raise AoikitError(f"unknown model {name!r}; known models: {', '.join(list_models()) or 'none'}")
    cls = _REGISTRY[name]
    config_cls = cls.config_cls  # type: ignore[attr-defined]
    known = {f.name for f in fields(config_cls)}
    unknown = sorted(set(cfg) - known)
    if unknown:
        raise AoikitError(
            f"unknown config key(s) for model {name!r}: {', '.join(unknown)}; valid keys: {', '.join(sorted(known))}"
        )
    try:
        config = config_cls(**cfg)
    except (TypeError, ValueError) as exc:
        raise AoikitError(f"invalid config for model {name!r}: {exc}") from exc
    return cls(config)


def load_network(directory: Path) -> tuple[nn.Module, dict[str, Any]]:
    """The network of a checkpoint rebuilt through the registry, and the checkpoint's whole config.json
    (:func:`aoikit.training.checkpoint.load_checkpoint`)."""
    return load_checkpoint(directory, create_model)
