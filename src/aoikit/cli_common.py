"""What every command module of the command line shares: one-line errors and option help."""

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from tqdm import tqdm

from aoikit.errors import AoikitError

F = TypeVar("F", bound=Callable[..., Any])
DEVICE_HELP = "auto (CUDA when available), cpu, cuda or cuda:N."
RUN_HELP = "Run folder written by 'aoikit train'."


def friendly(func: F) -> F:
    """Print AoikitError as one line on stderr and exit 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AoikitError as exc:
            for bar in list(tqdm._instances):  # end open progress lines, so the message starts on its own line
                bar.close()
            typer.echo(f"aoikit: error: {' '.join(str(exc).split())}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]
