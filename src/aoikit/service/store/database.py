"""Open a results database by URL and bring its tables up to date with the packaged migrations.

SQLite (the default, a file) runs in WAL mode with a busy timeout, so readers never wait for the writer
and several processes may write; PostgreSQL (``postgresql+psycopg://…``) may be shared by several server
processes or machines. Migrations run at every start in one transaction that holds a lock (a PostgreSQL
advisory lock, or SQLite's write lock), so processes starting together apply them once.
"""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from aoikit.errors import AoikitError

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
MIGRATION_LOCK = 0x616F69
"""PostgreSQL advisory lock id held while migrating."""
BUSY_TIMEOUT_MS = 30_000


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite file."""
    return f"sqlite:///{path}"


def connect(url: str) -> Engine:
    """An engine for ``url`` with its tables migrated to the newest version.

    Raises:
        AoikitError: the URL is malformed, names an unsupported database, or the database cannot be reached.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise AoikitError(f"--db {url!r}: not a database URL (sqlite:///PATH or postgresql+psycopg://…)") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise AoikitError(f"--db: unsupported database {backend!r}; use sqlite:///PATH or postgresql+psycopg://…")
    try:
        if backend == "sqlite":
            engine = _sqlite_engine(url, parsed.database)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)
        migrate(engine)
    except NoSuchModuleError as exc:
        raise AoikitError(f"--db: no driver for {parsed.drivername} ({exc}); use postgresql+psycopg://…") from None
    except OperationalError as exc:
        problem = " ".join(str(exc.orig).split())
        raise AoikitError(f"--db {parsed.render_as_string()}: cannot open ({problem})") from None
    return engine


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if not database or database == ":memory:":
        raise AoikitError("--db: SQLite needs a file (sqlite:///PATH): results must outlive the process")
    try:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AoikitError(f"{database}: cannot create its folder ({exc.strerror})") from None
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" below open each transaction
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock up front: no upgrade deadlocks

    return engine


def migrate(engine: Engine) -> None:
    """Apply the packaged migrations not yet applied, in one transaction that holds the migration lock."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
