from __future__ import annotations

import pytest
from django.db import transaction

from common.locking import lock_names


def test_a_named_lock_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError):
        lock_names("anything")


@pytest.mark.django_db
def test_the_same_name_twice_in_one_transaction_is_taken_once() -> None:
    with transaction.atomic():
        lock_names("b", "a", "b")
