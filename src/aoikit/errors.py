"""User-facing errors: one line that names the file and what is wrong."""

from pathlib import Path


class AoikitError(Exception):
    """An error the CLI prints as one line, without a traceback."""


class DataError(AoikitError, ValueError):
    """Bad or missing input data."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class OptionError(AoikitError, ValueError):
    """An option outside its range."""


def check_window(value: int, name: str = "window") -> None:
    """An SSIM window side must be odd and at least 3 (the one check of that rule)."""
    if value < 3 or value % 2 == 0:
        raise OptionError(f"{name} must be an odd number ≥ 3, got {value}")


def check_fraction(value: float, name: str) -> None:
    """A quantile or share must lie strictly between 0 and 1 (the one check of that rule)."""
    if not 0.0 < value < 1.0:
        raise OptionError(f"{name} must lie strictly between 0 and 1, got {value}")
