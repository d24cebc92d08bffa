"""Explicit model registry: rebuild any model from its name and a config dict."""

from collections.abc import Callable
from dataclasses import asdict, fields, is_dataclass
from typing import Any, TypeVar

from torch import nn

from aoikit.errors import AoikitError

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


def model_config(model: nn.Module) -> dict[str, Any]:
    """The config of a registered model as a plain dict (what `create_model` takes back)."""
    config = getattr(model, "config", None)
    if config is None or not is_dataclass(config) or isinstance(config, type):
        raise AoikitError(f"{type(model).__name__} has no dataclass `config` attribute")
    return asdict(config)
