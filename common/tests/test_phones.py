"""One reading of patients' phone numbers; the Annuaire import reads its files' numbers the same way."""

from __future__ import annotations

import pytest

from common.phones import PHONE_INVALID, phone_e164
from directory import annuaire

from .phone_cases import PHONE_CASES


@pytest.mark.parametrize(("typed", "e164"), PHONE_CASES)
def test_a_number_is_read_in_e164_or_refused(typed: str, e164: str | None) -> None:
    if e164 is None:
        with pytest.raises(ValueError) as refused:
            phone_e164(typed)
        assert str(refused.value) == str(PHONE_INVALID)
    else:
        assert phone_e164(typed) == e164


@pytest.mark.parametrize(("typed", "e164"), PHONE_CASES)
def test_the_annuaire_import_reads_numbers_as_the_other_channels_do(typed: str, e164: str | None) -> None:
    assert annuaire.phone_e164(f"  {typed} ") == e164


def test_the_annuaire_import_takes_a_missing_number_as_none_given() -> None:
    assert annuaire.phone_e164("") == "" and annuaire.phone_e164("   ") == ""
