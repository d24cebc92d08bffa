"""Go through pre-labels in a local web page, then export the corrected labels in the same formats."""

from typing import Any

from aoikit.errors import AoikitError
from aoikit.review.export import export_review

__all__ = ["export_review", "make_app", "review_server"]
_WEB = ("make_app", "review_server")


def __getattr__(name: str) -> Any:
    """``make_app`` and ``review_server`` load on first use, as they need the ``serve`` extra (FastAPI)."""
    if name not in _WEB:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        from aoikit.review import app
    except ModuleNotFoundError as exc:
        raise AoikitError(f"the review page needs FastAPI and uvicorn: pip install 'aoikit[serve]' ({exc})") from exc
    return getattr(app, name)
