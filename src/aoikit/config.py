"""Run configuration: built-in defaults < YAML file < command-line options."""

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from aoikit.errors import AoikitError
from aoikit.models.ssim_ae.detector import DetectorConfig
from aoikit.training import TrainConfig


@dataclass
class RunConfig:
    """Everything needed to reproduce a training run."""

    data: str = ""
    category: str | None = None
    val_fraction: float = 0.2
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


def _update(obj: Any, values: dict[str, Any], where: str) -> None:
    known = {f.name for f in fields(obj)}
    for key, value in values.items():
        if key not in known:
            raise AoikitError(f"{where}: unknown option '{key}' (known: {', '.join(sorted(known))})")
        current = getattr(obj, key)
        if is_dataclass(current):
            if not isinstance(value, dict):
                raise AoikitError(f"{where}: '{key}' must be a mapping")
            _update(current, value, f"{where}.{key}")
        elif isinstance(current, dict) and isinstance(value, dict):
            current.update(value)
        else:
            setattr(obj, key, value)


def resolve_config(path: Path | None, overrides: dict[str, Any]) -> RunConfig:
    """Defaults, then the YAML file at ``path``, then dotted ``overrides`` that are not None."""
    config = RunConfig()
    if path is not None:
        try:
            values = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            detail = " ".join(str(exc).split())
            raise AoikitError(f"{path}: cannot read configuration ({exc.__class__.__name__}: {detail})") from None
        if not isinstance(values, dict):
            raise AoikitError(f"{path}: configuration must be a mapping of options")
        _update(config, values, str(path))
    for dotted, value in overrides.items():
        if value is None:
            continue
        *parents, key = dotted.split(".")
        nested: dict[str, Any] = {key: value}
        for parent in reversed(parents):
            nested = {parent: nested}
        _update(config, nested, "option")
    return replace(config, detector=replace(config.detector), train=replace(config.train))  # re-run their checks


def save_config(config: RunConfig, path: Path) -> None:
    """Write the resolved configuration as YAML."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(asdict(config), sort_keys=False))


def load_config(path: Path) -> RunConfig:
    """Read a configuration written by :func:`save_config`."""
    return resolve_config(path, {})
