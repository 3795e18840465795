from __future__ import annotations

import pytest

from common.locking import lock_names


def test_a_named_lock_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError):
        lock_names("anything")
