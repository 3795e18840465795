from __future__ import annotations

import psycopg.errors
import pytest
from django.db import OperationalError, connection, transaction

from common.errors import DomainError
from common.locking import LOCK_BUSY, lock_names, lock_wait_bounded


def test_a_named_lock_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError):
        lock_names("anything")


def test_a_bounded_wait_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError), lock_wait_bounded():
        pass


@pytest.mark.django_db
def test_the_bound_is_the_setting_on_postgresql_and_nothing_is_set_on_sqlite(
    settings, django_assert_num_queries
) -> None:
    settings.AIGUILLAGE_LOCK_TIMEOUT_MS = 1234
    with transaction.atomic():
        if connection.vendor == "sqlite":
            with django_assert_num_queries(0), lock_wait_bounded():
                pass
            return
        with lock_wait_bounded():
            pass
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "1234ms"


def _failure(cause: Exception) -> OperationalError:
    error = OperationalError(str(cause))
    error.__cause__ = cause  # as Django's wrapper chains the driver's error
    return error


@pytest.mark.django_db
def test_a_lock_timeout_becomes_the_try_again_refusal() -> None:
    with pytest.raises(DomainError) as refused, transaction.atomic(), lock_wait_bounded():
        raise _failure(psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"))
    assert (refused.value.message, refused.value.code) == (LOCK_BUSY, "busy")
    assert isinstance(refused.value.__cause__, OperationalError)


@pytest.mark.django_db
def test_any_other_database_failure_goes_through_unchanged() -> None:
    failure = _failure(psycopg.errors.QueryCanceled("canceling statement due to statement timeout"))
    with pytest.raises(OperationalError) as raised, transaction.atomic(), lock_wait_bounded():
        raise failure
    assert raised.value is failure
    with pytest.raises(OperationalError, match="database is locked"), transaction.atomic(), lock_wait_bounded():
        raise OperationalError("database is locked")  # SQLite's own busy timeout: no SQLSTATE, not ours to turn
