"""Transaction-scoped locks, and how long a domain write waits for one.

Named locks (`lock_names`), for rules no row can hold (e.g. "one patient, one flag", before the second request's row
exists). On PostgreSQL: `pg_advisory_xact_lock` on a 64-bit hash of each name, taken in sorted order so that two
transactions locking the same names never deadlock, released at commit or rollback. On SQLite, transactions start
IMMEDIATE (settings): a writer holds the database's write lock from its first statement, so writers are already
serialised and nothing more is needed. Always inside a transaction: a lock outside one would be released at once.

A bounded wait (`lock_wait_bounded`), around the locks a domain write takes (the request's row, a booking's, slots'):
on PostgreSQL a lock held elsewhere longer than `AIGUILLAGE_LOCK_TIMEOUT_MS` is given up and the write refused with
`LOCK_BUSY` ("try again"), as pretix does, instead of a page that hangs. docs/locking.md has the rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils.translation import gettext_lazy as _

from .errors import DomainError

LOCK_BUSY = _("Someone else is changing the same thing at this very moment: nothing was saved, try again.")
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for lock_timeout (psycopg's LockNotAvailable)


def _key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def lock_names(*names: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take a named lock only inside a transaction")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted({_key(name) for name in names}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def lock_timed_out(error: BaseException) -> bool:
    """The database gave up waiting for a lock (PostgreSQL's lock_timeout), as opposed to any other failure."""
    return getattr(error.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE


@contextmanager
def lock_wait_bounded() -> Iterator[None]:
    """The locks taken inside wait at most `AIGUILLAGE_LOCK_TIMEOUT_MS`; one held elsewhere longer is a refusal,
    `DomainError(LOCK_BUSY, code="busy")`, that the view shows and the API answers with 409.

    On PostgreSQL `SET LOCAL lock_timeout`: it lasts until the transaction ends, so the locks taken after this block
    in the same transaction are bounded too. The statement that timed out has aborted the transaction: let the
    refusal out of the atomic block (a savepoint's, or the whole transaction's), never carry on inside it. On SQLite
    nothing is set: writers queue for the database's write lock, bounded by its own timeout (SQLITE_OPTIONS)."""
    current = transaction.get_connection()
    if not current.in_atomic_block:
        raise RuntimeError("take a lock only inside a transaction")
    if current.vendor == "postgresql":
        with current.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{int(settings.AIGUILLAGE_LOCK_TIMEOUT_MS)}ms'")
    try:
        yield
    except OperationalError as error:
        if lock_timed_out(error):
            raise DomainError(LOCK_BUSY, code="busy") from error
        raise
