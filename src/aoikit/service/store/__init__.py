"""The results store: SQLAlchemy tables, packaged Alembic migrations, and the queries the service makes."""

from aoikit.service.store.results import AlertView, InspectionFilter, ResultStore, new_id
from aoikit.service.store.schema import KEY, Alert, Inspection

__all__ = ["KEY", "Alert", "AlertView", "Inspection", "InspectionFilter", "ResultStore", "new_id"]
