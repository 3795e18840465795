import pytest

from common.identifiers import (
    ADELI_INVALID,
    FINESS_INVALID,
    INSEE_INVALID,
    POSTAL_CODE_INVALID,
    RPPS_INVALID,
    RPPS_KEY_WARNING,
    InvalidIdentifier,
    check_adeli,
    check_finess,
    check_insee_code,
    check_postal_code,
    check_rpps,
    from_national_id,
    luhn_key,
    luhn_ok,
    rpps_or_adeli,
)
from tests.factories import next_rpps


def test_a_luhn_valid_rpps_passes_without_warning() -> None:
    checked = check_rpps("10003456786")
    assert luhn_ok("10003456786")
    assert checked.value == "10003456786"
    assert checked.warnings == []


def test_an_rpps_failing_its_key_is_kept_with_a_warning() -> None:
    checked = check_rpps("10003456787")
    assert checked.value == "10003456787"
    assert checked.warnings == [RPPS_KEY_WARNING]


def test_rpps_spaces_and_national_prefix_are_accepted() -> None:
    assert check_rpps(" 100 0345 6786 ").value == "10003456786"
    assert check_rpps("810003456786").value == "10003456786"


@pytest.mark.parametrize("value", ["", "1000345678", "100034567865", "1000345678A", "RPPS"])
def test_malformed_rpps_is_refused_with_a_french_message(value: str) -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        check_rpps(value)
    assert raised.value.message == RPPS_INVALID
    assert "11 chiffres" in str(raised.value.message)


def test_generated_test_rpps_numbers_are_luhn_valid() -> None:
    for _ in range(50):
        assert check_rpps(next_rpps()).warnings == []


def test_luhn_key_completes_any_body_into_a_valid_number() -> None:
    for body in ("1", "1000345678", "61078008", "0000000000"):
        assert luhn_ok(body + luhn_key(body))
        wrong = str((int(luhn_key(body)) + 1) % 10)
        assert not luhn_ok(body + wrong)


@pytest.mark.parametrize(
    "value, expected",
    [("611234567", "611234567"), ("0611234567", "611234567"), ("2A1234567", "2A1234567"), ("2b 123 4567", "2B1234567")],
)
def test_adeli_accepts_department_then_seven_digits(value: str, expected: str) -> None:
    assert check_adeli(value).value == expected


@pytest.mark.parametrize("value", ["61123456", "6112345678X", "2C1234567", "ABCDEFGHI"])
def test_malformed_adeli_is_refused(value: str) -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        check_adeli(value)
    assert raised.value.message == ADELI_INVALID


def test_finess_key_failure_is_a_warning_and_bad_format_an_error() -> None:
    assert check_finess("610780082").warnings == []
    assert check_finess("610780083").warnings != []
    with pytest.raises(InvalidIdentifier) as raised:
        check_finess("61078008")
    assert raised.value.message == FINESS_INVALID


@pytest.mark.parametrize("value", ["61006", "2A004", "2B033", "97411", "01001", "75056"])
def test_insee_codes_of_mainland_corsica_and_overseas_are_accepted(value: str) -> None:
    assert check_insee_code(value).value == value


@pytest.mark.parametrize("value", ["6100", "20004", "2C004", "97911", "00001", "96001", "610066"])
def test_impossible_insee_codes_are_refused(value: str) -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        check_insee_code(value)
    assert raised.value.message == INSEE_INVALID


@pytest.mark.parametrize(
    "value, ok",
    [
        ("61200", True),
        ("20000", True),
        ("97400", True),
        ("6120", False),
        ("00100", False),
        ("99000", False),
        ("612000", False),
    ],
)
def test_postal_codes(value: str, ok: bool) -> None:
    if ok:
        assert check_postal_code(value).value == value
    else:
        with pytest.raises(InvalidIdentifier) as raised:
            check_postal_code(value)
        assert raised.value.message == POSTAL_CODE_INVALID


def test_a_number_typed_in_one_box_is_an_rpps_from_11_digits_and_an_adeli_below() -> None:
    assert rpps_or_adeli("10003456786") == "rpps"
    assert rpps_or_adeli("100 034 567 86") == "rpps"
    assert rpps_or_adeli("611234567") == "adeli"
    assert rpps_or_adeli("2A1234567") == "adeli"


def test_a_national_identifier_gives_its_rpps_or_adeli_and_nothing_else_does() -> None:
    assert from_national_id("810003456786") == ("rpps", "10003456786")
    assert from_national_id(" 8 1000 3456 786 ") == ("rpps", "10003456786")
    assert from_national_id("02a1234567") == ("adeli", "2A1234567")
    assert from_national_id("10003456786") is None  # a bare RPPS is not a national identifier
    assert from_national_id("710003456786") is None
    assert from_national_id("0611234567X") is None
    assert check_rpps("810003456786").value == check_rpps("10003456786").value == "10003456786"
    assert check_adeli("0611234567").value == check_adeli("611234567").value == "611234567"
