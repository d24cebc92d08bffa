"""The inspection runtime: an API and a folder watcher that score frames, keep every result and raise alerts.

Everything here needs the ``serve`` extra (FastAPI, uvicorn, SQLAlchemy, Alembic, psycopg, watchdog,
prometheus-client); the names below load on first use, so a missing extra is one clear error.
"""

from importlib import import_module
from typing import Any

from aoikit.errors import AoikitError

_WHERE = {
    "ServiceConfig": "aoikit.service.settings",
    "RegionJudge": "aoikit.service.alerts",
    "NewKind": "aoikit.service.alerts",
    "FrameMeta": "aoikit.service.inspector",
    "Inspector": "aoikit.service.inspector",
    "make_app": "aoikit.service.app",
    "open_inspector": "aoikit.service.server",
    "inspection_server": "aoikit.service.server",
    "FolderWatcher": "aoikit.service.watch",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """Load ``name`` from its module on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = import_module(_WHERE[name])
    except ModuleNotFoundError as exc:
        raise AoikitError(f"the inspection service needs its extra: pip install 'aoikit[serve]' ({exc})") from exc
    return getattr(module, name)
