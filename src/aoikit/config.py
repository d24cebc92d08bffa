"""Run configuration: built-in defaults < YAML file < command-line options, checked once when resolved.

The model name picks the family (:mod:`aoikit.models.families`), and the family's own configuration classes
take the ``detector:`` and ``train:`` sections: an option the family does not use, a value of the wrong type or
out of range is a one-line error before any work starts.
"""

import types
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import yaml

from aoikit.detector import DetectorConfig
from aoikit.errors import AoikitError, check_fraction
from aoikit.models.families import DEFAULT_MODEL, default_family, detector_class

TOP_LEVEL = ("data", "category", "val_fraction", "detector", "train")


@dataclass
class RunConfig:
    """Everything needed to reproduce a training run."""

    data: str = ""
    category: str | None = None
    val_fraction: float = 0.2
    detector: DetectorConfig = field(default_factory=lambda: default_family().config_cls(model=DEFAULT_MODEL))
    train: Any = field(default_factory=lambda: default_family().train_config_cls())

    def __post_init__(self) -> None:
        check_fraction(self.val_fraction, "val_fraction")


def describe_type(hint: Any) -> str:
    """A field type as the reference and the errors write it: "int", "str or float", "int or null"."""
    if get_origin(hint) in (Union, types.UnionType):
        return " or ".join(describe_type(h) for h in get_args(hint))
    if hint is type(None):
        return "null"
    return getattr(hint, "__name__", str(hint))


def _accepts(value: Any, hint: Any) -> bool:
    """Whether a YAML value fits a dataclass field's type (an int is a float; a bool is not a number)."""
    origin = get_origin(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(_accepts(value, h) for h in get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, origin or hint)


def _build(cls: type, values: Any, where: str, family: str) -> Any:
    """An instance of the dataclass ``cls`` from a mapping, every key and type checked."""
    if not isinstance(values, dict):
        raise AoikitError(f"{where} must be a mapping of options, got {values!r}")
    hints = get_type_hints(cls)
    known = [f.name for f in fields(cls)]
    for key, value in values.items():
        if key not in known:
            raise AoikitError(f"{where}.{key}: not an option of the {family} family (its options: {', '.join(known)})")
        if not _accepts(value, hints[key]):
            raise AoikitError(f"{where}.{key}: expected {describe_type(hints[key])}, got {value!r}")
    typed = {k: float(v) if hints[k] is float else v for k, v in values.items()}
    try:
        return cls(**typed)
    except AoikitError as exc:
        raise AoikitError(f"{where}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise AoikitError(f"{where}: invalid options ({exc})") from None


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _nested(overrides: dict[str, Any]) -> dict[str, Any]:
    """Dotted ``{"detector.window": 7}`` options (None: not given) as nested mappings."""
    values: dict[str, Any] = {}
    for dotted, value in overrides.items():
        if value is None:
            continue
        *parents, key = dotted.split(".")
        nested: dict[str, Any] = {key: value}
        for parent in reversed(parents):
            nested = {parent: nested}
        values = _merge(values, nested)
    return values


def read_yaml(path: Path) -> dict[str, Any]:
    """The mapping in a YAML file; a missing, unreadable or non-mapping file is a one-line error."""
    try:
        values = yaml.safe_load(path.read_text()) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        detail = " ".join(str(exc).split())
        raise AoikitError(f"{path}: cannot read configuration ({exc.__class__.__name__}: {detail})") from None
    if not isinstance(values, dict):
        raise AoikitError(f"{path}: configuration must be a mapping of options")
    return values


def config_from_values(values: dict[str, Any], where: str = "configuration") -> RunConfig:
    """A checked :class:`RunConfig` from nested values (the sections of a YAML file)."""
    unknown = sorted(set(values) - set(TOP_LEVEL))
    if unknown:
        raise AoikitError(f"{where}: unknown option(s) {', '.join(unknown)} (known: {', '.join(TOP_LEVEL)})")
    for section in ("detector", "train"):
        if not isinstance(values.get(section) or {}, dict):
            raise AoikitError(f"{where}: '{section}' must be a mapping of options, got {values[section]!r}")
    detector_values = {"model": DEFAULT_MODEL, **(values.get("detector") or {})}
    train_values = dict(values.get("train") or {})
    family = detector_class(str(detector_values["model"]))
    train_fields = {f.name for f in fields(family.train_config_cls)}
    if "window" in detector_values and "window_size" in train_fields and "window_size" not in train_values:
        train_values["window_size"] = detector_values["window"]  # one --window for maps and the DSSIM loss
    top = {k: values[k] for k in ("data", "category", "val_fraction") if k in values}
    run = _build(RunConfig, top, where, family.family)
    run.detector = _build(family.config_cls, detector_values, f"{where}: detector", family.family)
    run.train = _build(family.train_config_cls, train_values, f"{where}: train", family.family)
    return run


def resolve_config(path: Path | None, overrides: dict[str, Any]) -> RunConfig:
    """Defaults, then the YAML file at ``path``, then dotted ``overrides`` that are not None."""
    values = read_yaml(path) if path is not None else {}
    return config_from_values(_merge(values, _nested(overrides)), str(path) if path else "options")


def option_differences(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of the options whose values differ between two nested mappings (``model_config`` as one)."""
    keys = sorted(set(before) | set(after))
    changed = []
    for key in keys:
        a, b = before.get(key), after.get(key)
        if isinstance(a, dict) and isinstance(b, dict) and key != "model_config":
            changed += option_differences(a, b, f"{prefix}{key}.")
        elif a != b:
            changed.append(f"{prefix}{key}")
    return changed


def save_config(config: RunConfig, path: Path) -> None:
    """Write the resolved configuration as YAML."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(asdict(config), sort_keys=False))


def load_config(path: Path) -> RunConfig:
    """Read a configuration written by :func:`save_config`."""
    return resolve_config(path, {})
