"""The option reference (docs/options.md), generated from the configuration classes so that it cannot drift:
``python -m aoikit.options > docs/options.md``."""

import inspect
import re
from dataclasses import MISSING, Field, fields
from typing import Any, get_type_hints

from aoikit.config import RunConfig, describe_type
from aoikit.models.families import DEFAULT_MODEL, FAMILIES

HEADER = """# Options

Every option of a run, by section, as `aoikit train --config FILE.yaml` takes them (command-line options such as
`--epochs` set the same fields). The model name (`detector.model`) picks the family, and the family's classes take
the `detector:` and `train:` sections: an option the family does not use is an error. Generated from the
configuration classes by `python -m aoikit.options > docs/options.md`; a test keeps this page equal to its output.
"""


def _default(spec: Field[Any]) -> str:
    if spec.default is not MISSING:
        return f"`{spec.default!r}`"
    if spec.default_factory is not MISSING:
        value = spec.default_factory()
        return "`{}`" if value == {} else f"`{type(value).__name__}`"
    return "required"


def _table(cls: type, skip: tuple[str, ...] = ()) -> list[str]:
    """A table of the dataclass ``cls``'s options and the paragraphs of its docstrings, nearest class first."""
    hints = get_type_hints(cls)
    rows = [
        f"| `{f.name}` | {describe_type(hints[f.name])} | {_default(f)} |" for f in fields(cls) if f.name not in skip
    ]
    docs = [inspect.cleandoc(c.__doc__) for c in cls.__mro__ if c.__doc__ and c.__module__.startswith("aoikit")]
    notes = [_markdown(part) for doc in dict.fromkeys(docs) for part in doc.split("\n\n")]
    return ["| option | type | default |", "|---|---|---|", *rows, "", *[f"{note}\n" for note in notes]]


def _markdown(text: str) -> str:
    """A docstring paragraph on one line, its reStructuredText roles and literals as Markdown code."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", " ".join(text.split()))
    return text.replace("``", "`")


def option_reference() -> str:
    """The whole reference as Markdown."""
    lines = [HEADER, "## Top level", ""]
    lines += _table(RunConfig, skip=("detector", "train"))
    for family in FAMILIES:
        names = ", ".join(f"`{name}`" for name in family.model_names)
        default = " (the default model)" if DEFAULT_MODEL in family.model_names else ""
        lines += [f"## The {family.family} family: {names}{default}", "", "### `detector:`", ""]
        lines += _table(family.config_cls)
        lines += ["### `train:`", ""]
        lines += _table(family.train_config_cls)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(option_reference(), end="")
