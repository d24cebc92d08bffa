"""Path and body parameters the API's route modules share."""

from typing import Annotated

from fastapi import Path as PathParam

RowId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]
"""An inspection or alert id: 32 hex digits."""
