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
