"""The results store, the same tests on SQLite and on a real PostgreSQL server."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from aoikit.errors import AoikitError
from aoikit.service.store import Alert, Inspection, InspectionFilter, ResultStore, new_id
from aoikit.service.store.schema import Base

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
Row = Callable[..., Inspection]


def alert(open_key: str | None, camera: str = "cam1") -> Alert:
    return Alert(
        id=new_id(), kind="rate", camera=camera, created_at=T0, open_key=open_key, message="m", details={"k": 1},
        delivery="none", attempts=0,
    )  # fmt: skip


def test_migrations_build_exactly_the_tables_the_code_uses_and_rerun_as_a_no_op(db_url: str) -> None:
    store = ResultStore.open(db_url)
    ResultStore.open(db_url).close()  # a second start finds nothing to do
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    store.close()


def test_a_row_round_trips_with_utc_times_and_json_regions(db_url: str, row: Row) -> None:
    store = ResultStore.open(db_url)
    stored, new = store.add(row(when=T0.astimezone(UTC)))
    got = store.get(stored.id)
    assert new and got is not None
    assert got.created_at == T0 and got.created_at.tzinfo is not None
    assert got.regions[0]["polygon"] == [[1, 2], [1, 4], [3, 4]] and got.anomalous is False
    assert store.get(new_id()) is None
    store.close()


def test_a_frame_key_is_stored_once(db_url: str, row: Row) -> None:
    store = ResultStore.open(db_url)
    first, new_first = store.add(row(key="watch:/x/a.png:10:99"))
    again, new_again = store.add(row(key="watch:/x/a.png:10:99"))
    assert new_first and not new_again and again.id == first.id
    assert store.inspections(InspectionFilter(), 10)[1] == 1
    assert store.by_key("watch:/x/a.png:10:99") is not None and store.by_key("nope") is None
    store.close()


def test_listing_pages_newest_first_and_filters_by_time_decision_and_camera(db_url: str, row: Row) -> None:
    store = ResultStore.open(db_url)
    for minute in range(10):
        store.add(row(T0 + timedelta(minutes=minute), camera="cam1" if minute % 2 else "cam2", anomalous=minute >= 7))
    page, total = store.inspections(InspectionFilter(), limit=4, offset=0)
    assert total == 10 and [r.created_at.minute for r in page] == [9, 8, 7, 6]
    page, _ = store.inspections(InspectionFilter(), limit=4, offset=8)
    assert [r.created_at.minute for r in page] == [1, 0]
    window = InspectionFilter(since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=5))
    assert [r.created_at.minute for r in store.inspections(window, 50)[0]] == [4, 3, 2]
    assert store.inspections(InspectionFilter(anomalous=True), 50)[1] == 3
    assert store.inspections(InspectionFilter(camera="cam2", anomalous=False), 50)[1] == 4
    assert [a for _, a in store.recent("cam1", 3)] == [True, True, False]  # minutes 9, 7, 5
    assert store.window_counts("cam1", 3) == (3, 2) and store.window_counts("cam1", 50) == (5, 2)
    assert store.window_counts("none", 3) == (0, 0)
    assert len(store.decisions_since(T0 + timedelta(minutes=8))) == 2
    store.close()


def test_one_alert_per_open_key_until_it_is_closed(db_url: str, row: Row) -> None:
    store = ResultStore.open(db_url)
    frame, _ = store.add(row(anomalous=True))
    first = alert("rate:cam1")
    assert store.raise_alert(first, [frame.id, frame.id])
    assert not store.raise_alert(alert("rate:cam1"), [frame.id])
    assert store.raise_alert(alert("rate:cam2", camera="cam2"), [])
    assert store.raise_alert(alert(None), []) and store.raise_alert(alert(None), [])  # no key: never merged
    views = store.alerts(open_only=True)
    assert len(views) == 4 and next(v for v in views if v.alert.id == first.id).frames == [frame.id]
    assert store.close_alert(first.id, T0) and not store.close_alert(first.id, T0)
    assert store.open_alert("rate:cam1") is None
    assert store.raise_alert(alert("rate:cam1"), [])
    store.set_delivery(first.id, "delivered", 2)
    closed = next(v.alert for v in store.alerts() if v.alert.id == first.id)
    assert (closed.delivery, closed.attempts, closed.closed_at) == ("delivered", 2, T0)
    assert len(store.alerts(open_only=True)) == 4 and len(store.alerts()) == 5
    store.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", "not a database URL"),
        ("mysql://root@localhost/x", "unsupported database 'mysql'"),
        ("sqlite://", "SQLite needs a file"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", "cannot open"),
    ],
)
def test_bad_database_urls_are_one_line_errors(url: str, message: str) -> None:
    with pytest.raises(AoikitError, match=message) as info:
        ResultStore.open(url)
    assert "\n" not in str(info.value)
