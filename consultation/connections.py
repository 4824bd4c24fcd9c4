"""Pooled PostgreSQL connections are checked before use, but only after they sat idle.

SQLAlchemy's `pool_pre_ping` sends a `SELECT 1` on every checkout: one more round trip for every request, about a
tenth of the resident form's write under load. A connection is cut while it sits unused (a server restart, a
failover, a proxy's idle timeout), so the check here runs only when the connection came back to the pool at least
`POOL_PING_AFTER_IDLE_SECONDS` ago (1 s by default). Under steady traffic connections are back in the pool for
milliseconds and go out unchecked; after any pause the first checkout pings, and a dead connection is replaced
before the request sees it, as with `pool_pre_ping`. A connection cut mid-traffic fails its request with the
database-unavailable 503 (nothing stored, retry), and SQLAlchemy then replaces every connection of that pool.
"""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

_RETURNED_AT = "returned_to_pool_at"


def ping_after_idle(engine: Engine, idle_seconds: float, clock=time.monotonic) -> None:
    """Check a pooled connection with the dialect's ping when it has been idle `idle_seconds` or longer."""

    @event.listens_for(engine, "checkin")
    def _note_return(dbapi_connection, record) -> None:
        if record is not None:
            record.info[_RETURNED_AT] = clock()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or clock() - returned_at < idle_seconds:
            return  # new (just connected) or back from another request a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("the pooled connection was cut while idle") from error
        if alive is False:
            raise DisconnectionError("the pooled connection was cut while idle")
