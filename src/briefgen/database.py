"""The connection to the record: a SQLite file in the data home, or PostgreSQL when
`BRIEFGEN_DATABASE_URL` names one. One code path (SQLAlchemy Core) serves both; the few
places where the two differ are here.

SQLite: write transactions start with `BEGIN IMMEDIATE`, so the write lock is taken before
anything is read and two processes never both read-then-write (SQLite's stand-in for row locks).
PostgreSQL: READ COMMITTED, row locks where a read decides a write, and a retry when two
replicas insert the same key at once.

Both: briefgen sends BEGIN itself (the driver is in autocommit mode), so BEGIN is the first
thing a connection taken from the pool sends. A connection the server dropped while it sat in
the pool (a restarted database, a proxy's idle timeout) fails there, before any work, and one
new connection is tried; no ping is spent on every checkout. A connection that drops later,
COMMIT included, fails the transaction: a webhook is then answered 503 and the CRM retries,
and nothing is acknowledged that was not committed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, RootTransaction, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Double

from .errors import ConfigError, StoreError, StoreFull
from .tables import metadata

T = TypeVar("T")
SQLITE_NAME = "briefgen.sqlite3"
# Any fixed number: every process that prepares the schema takes this advisory lock first.
_SCHEMA_LOCK = 0x62726965
# Connections one process keeps to PostgreSQL, at most: its webhook threads (api.WEBHOOK_THREADS)
# and the other requests' threads share them. Size PostgreSQL's max_connections for the
# processes of every node times this (deploy/README.md).
POOL_SIZE = 15


class db_now(FunctionElement[float]):
    """Seconds since the epoch by the database's clock, so leases and retry times mean the same
    on every machine whatever their clocks say."""

    type = Double()
    inherit_cache = True


@compiles(db_now, "sqlite")
def _db_now_sqlite(element: db_now, compiler: Any, **kw: Any) -> str:
    return "((julianday('now') - 2440587.5) * 86400.0)"


@compiles(db_now, "postgresql")
def _db_now_postgresql(element: db_now, compiler: Any, **kw: Any) -> str:
    return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"


def normalise_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean the psycopg 3 driver; other URLs stay as given."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redacted(url: str) -> str:
    """The URL for messages and logs: never the password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database URL>"


class Database:
    def __init__(self, url: str, read_only: bool = False) -> None:
        self.url = normalise_url(url)
        self.where = redacted(self.url)
        try:
            parsed = make_url(self.url)
        except Exception as exc:
            raise ConfigError(f"BRIEFGEN_DATABASE_URL is not a database URL: {self.where}") from exc
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ConfigError(
                f"BRIEFGEN_DATABASE_URL: only sqlite and postgresql are supported, got {self.where}"
            )
        try:
            if self.dialect == "sqlite":
                self.engine = _sqlite_engine(self.url, read_only)
            else:
                self.engine = _postgresql_engine(self.url)
        except ImportError as exc:
            raise ConfigError(
                f"PostgreSQL needs the psycopg driver: pip install 'briefgen[postgres]' ({exc})"
            ) from exc
        if not read_only:
            self.prepare()

    @classmethod
    def for_file(cls, path: Path, read_only: bool = False) -> Database:
        if read_only:
            return cls._read_only_file(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot open the record database {path}: {exc}") from exc
        return cls(f"sqlite:///{path}")

    @classmethod
    def _read_only_file(cls, path: Path) -> Database:
        """For commands that only read: a store on read-only media (or another user's) opens
        too. A WAL database there cannot get its shared-memory file, so it is read as immutable."""
        last: Exception | None = None
        for query in ("mode=ro", "immutable=1"):
            db = cls(f"sqlite:///{path.resolve().as_uri()}?{query}&uri=true", read_only=True)
            try:
                with db.read() as conn:
                    conn.exec_driver_sql("SELECT COUNT(*) FROM deals").scalar_one()
                db.where = str(path)
                return db
            except StoreError as exc:
                db.close()
                last = exc
        raise StoreError(f"cannot read the record database {path}: {last}")

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed on success, rolled back on any error."""
        with self._connect(write=True) as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self._connect(write=False) as conn:
            yield conn

    @contextmanager
    def _connect(self, write: bool) -> Iterator[Connection]:
        try:
            conn, transaction = self._begin(write)
            with conn, transaction:
                yield conn
        except SQLAlchemyError as exc:
            if isinstance(exc, IntegrityError):
                raise
            raise self._error(exc) from exc
        except Exception as exc:
            # The driver's own error, raised where SQLAlchemy did not wrap it.
            if not isinstance(exc, self.engine.dialect.loaded_dbapi.Error):
                raise
            raise self._error(exc) from exc

    def _begin(self, write: bool) -> tuple[Connection, RootTransaction]:
        """A connection from the pool with its transaction begun; a second, new one when the
        first turns out to have been dropped (see the module's docstring)."""
        for attempt in (1, 2):
            conn = self.engine.connect()
            conn.execution_options(briefgen_write=write)
            try:
                return conn, conn.begin()
            except DBAPIError as exc:
                conn.close()
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def _error(self, exc: Exception) -> StoreError:
        reason = _reason(exc)
        # A full disk is its own kind (HTTP 507): nothing of the request was kept.
        kind = StoreFull if "disk is full" in reason or "No space left" in reason else StoreError
        return kind(f"record database {self.where}: {reason}")

    def retrying(self, fn: Callable[[Connection], T], attempts: int = 5) -> T:
        """Run `fn` in a write transaction, again when another process inserted the same key
        first (then `fn` sees that row and acts on it)."""
        for attempt in range(attempts):
            try:
                with self.write() as conn:
                    return fn(conn)
            except IntegrityError as exc:
                if attempt == attempts - 1:
                    raise StoreError(f"record database {self.where}: {_reason(exc)}") from exc
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    def insert(self, table: Any) -> Any:
        """INSERT with the dialect's ON CONFLICT clauses available."""
        return _insert(self.dialect, table)

    def prepare(self) -> None:
        """Create missing tables and add missing columns, under a lock so replicas starting
        together do it once."""
        try:
            with self.write() as conn:
                if self.dialect == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK})")
                metadata.create_all(conn, checkfirst=True)
                _add_missing_columns(conn)
        except IntegrityError as exc:
            raise StoreError(f"cannot prepare the record database {self.where}: {_reason(exc)}") from exc
        except StoreError as exc:
            raise StoreError(f"cannot open the record database {self.where}: {exc}") from exc


def _insert(dialect: str, table: Any) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def insert_for(conn: Connection, table: Any) -> Any:
    """`Database.insert` for code that holds only a connection."""
    return _insert(conn.dialect.name, table)


def _postgresql_engine(url: str) -> Engine:
    # Autocommit at the driver: the "begin" listener sends BEGIN itself, and the driver's
    # COMMIT and ROLLBACK end what it began. A bounded pool, no overflow.
    engine = create_engine(
        url, pool_size=POOL_SIZE, max_overflow=0, pool_pre_ping=False, connect_args={"autocommit": True}
    )

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def _sqlite_engine(url: str, read_only: bool = False) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # SQLAlchemy, not the sqlite3 module, decides where transactions begin.
        dbapi_conn.isolation_level = None
        if read_only:
            return
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL sync survives a killed process (what the API promises); only a
        # power cut can lose the last commits. FULL would fsync every webhook.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("briefgen_write", True) and not read_only
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _add_missing_columns(conn: Connection) -> None:
    have = inspect(conn)
    for table in metadata.sorted_tables:
        present = {c["name"] for c in have.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable and column.server_default is None:
                raise StoreError(
                    f"column {table.name}.{column.name} is new and NOT NULL without a server default"
                )
            kind = column.type.compile(dialect=conn.dialect)
            default = ""
            if column.server_default is not None:
                default = f" DEFAULT {column.server_default.arg.text}"  # type: ignore[attr-defined]
            null = "" if column.nullable else " NOT NULL"
            conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}{default}{null}')


def _reason(exc: Exception) -> str:
    """The driver's own message, first line, without the SQL statement SQLAlchemy appends."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    message = text[0] if text else type(exc).__name__
    if isinstance(exc, OperationalError) and "could not connect" in message.lower():
        return f"cannot connect: {message}"
    return message
