"""Opening a study storage: a worker that loses the race to create the tables retries; other errors are one line."""

from pathlib import Path

import pytest
import sqlalchemy.exc

from aoikit.errors import AoikitError
from aoikit.tune.study import _lost_race, open_storage


def test_only_a_table_created_by_another_worker_counts_as_a_lost_race() -> None:
    sqlite = sqlalchemy.exc.OperationalError("CREATE TABLE studies", {}, Exception("table studies already exists"))
    postgres = sqlalchemy.exc.IntegrityError("CREATE TABLE studies", {}, Exception("duplicate key value"))
    locked = sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("unable to open database file"))
    assert _lost_race(sqlite) and _lost_race(postgres) and not _lost_race(locked)


def test_a_storage_that_cannot_be_opened_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(AoikitError, match="cannot open the database"):
        open_storage(f"sqlite:///{tmp_path / 'missing' / 'tune.db'}")
    assert open_storage(f"sqlite:///{tmp_path / 'tune.db'}") is not None
