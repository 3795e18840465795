"""Rows written at the same instant from many connections (several app processes) still form one chain: each row
follows the one committed before it, none is lost, and the chain verifies. SQLite and PostgreSQL (`make test`)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from audit.models import AccessAction, AccessEvent
from audit.services import access_log_verify, access_record

pytestmark = pytest.mark.django_db(transaction=True)
WRITERS, ROWS_EACH = 12, 10


def test_simultaneous_writers_make_one_unbroken_chain() -> None:
    barrier = threading.Barrier(WRITERS)
    errors: list[str] = []

    def write(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            for row in range(ROWS_EACH):
                access_record(action=AccessAction.READ, object_type="request", requests=[index * 100 + row])
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert AccessEvent.objects.count() == WRITERS * ROWS_EACH
    result = access_log_verify()
    assert result.intact, result.breaks
    hashes = list(AccessEvent.objects.order_by("id").values_list("prev_hash", "hash"))
    assert len({prev for prev, _hash in hashes}) == len(hashes)  # no two rows claim the same predecessor
