import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from common.text import normalize


@given(st.text())
def test_normalising_twice_changes_nothing(value: str) -> None:
    assert normalize(normalize(value)) == normalize(value)


@given(st.text(alphabet=st.characters(categories=["L", "Zs", "Pd"]), max_size=40))
def test_accents_and_case_do_not_matter(value: str) -> None:
    stripped = "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))
    assert normalize(value) == normalize(stripped)
    assert normalize(value) == normalize(value.lower())


@given(st.text())
def test_the_result_has_no_accent_no_uppercase_and_single_spaces(value: str) -> None:
    result = normalize(value)
    assert result == result.strip()
    assert "  " not in result
    assert not any(unicodedata.combining(c) for c in unicodedata.normalize("NFKD", result))


def test_french_commune_names() -> None:
    assert normalize("Saint-Germain-d’Aunay") == "saint germain d aunay"
    assert normalize("ST GERMAIN D'AUNAY") == "saint germain d aunay"
    assert normalize("L'Aigle") == "l aigle"
    assert normalize("Bœcé") == "boece"
