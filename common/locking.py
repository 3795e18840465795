"""Transaction-scoped locks on names, for rules no row can hold (e.g. "one patient, one flag", before the second
request's row exists).

On PostgreSQL: `pg_advisory_xact_lock` on a 64-bit hash of each name, taken in sorted order so that two transactions
locking the same names never deadlock, released at commit or rollback. On SQLite, transactions start IMMEDIATE
(settings): a writer holds the database's write lock from its first statement, so writers are already serialised and
nothing more is needed. Always inside a transaction: a lock outside one would be released at once.
"""

from __future__ import annotations

import hashlib

from django.db import connection, transaction


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
