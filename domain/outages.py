"""Whether an error says the database is unavailable (a 503 and "try again"), as opposed to a
statement it refused or a defect (ADR 0130). Its own module: the engines (domain.db), the
compiled reads' driver statements (domain.reads.batched) and the HTTP edge all ask."""

from __future__ import annotations

from sqlalchemy import exc


class DatabaseUnavailable(Exception):
    """No connection to the database could be made (refused, timed out, shutting down...)."""


# SQLSTATE classes and codes that say the server is gone or cannot serve now, as opposed to
# a statement it refused: connection exceptions (08), insufficient resources (53: too many
# connections, disk full, out of memory) and an operator's shutdown or a crash (57P0x).
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57P01", "57P02", "57P03")
# SQLite's words for a file it cannot use right now (another process holds its lock past the
# busy timeout, the disk fails or is full, the file cannot be opened).
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
)


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached or cannot serve for now, so that
    the caller may answer "try again later" (503) rather than report a defect.

    Walks the exception's causes: SQLAlchemy wraps the driver's error, the compiled read path
    meets the driver's own."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, DatabaseUnavailable | ConnectionError | exc.TimeoutError):
            return True  # exc.TimeoutError: no pooled connection came free in time
        if isinstance(current, exc.DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES):
            return True
        if type(current).__module__.startswith("asyncpg") and "connection is closed" in str(
            current
        ):
            return True
        if type(current).__name__ == "OperationalError" and any(
            words in str(current).lower() for words in _SQLITE_UNAVAILABLE
        ):
            return True
        pending.extend((current.__cause__, current.__context__, getattr(current, "orig", None)))
    return False
