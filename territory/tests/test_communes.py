import pytest
from django.core.exceptions import ValidationError

from common.text import normalize
from conftest import ARGENTAN, CLISSON, GACE, World
from territory.communes import COMMUNES_CSV, load_communes, read_communes
from territory.forms import CommuneField
from territory.geo import great_circle_km
from territory.models import Commune
from territory.selectors import commune_search

pytestmark = pytest.mark.django_db


def codes(communes: list[Commune]) -> list[str]:
    return [c.insee_code for c in communes]


def test_the_migration_loaded_every_commune_of_the_reference_list() -> None:
    assert Commune.objects.count() == 34969
    assert Commune.objects.filter(latitude__isnull=True).count() == 171
    ajaccio = Commune.objects.get(insee_code="2A004")
    assert ajaccio.name == "Ajaccio"
    assert Commune.objects.filter(department="976").exists()


def test_loading_again_changes_nothing() -> None:
    assert load_communes(Commune) == (0, 0)


def test_reloading_repairs_a_changed_commune() -> None:
    Commune.objects.filter(insee_code=ARGENTAN).update(name="Argentan-sur-Erreur", search_name="argentan sur erreur")
    assert load_communes(Commune) == (0, 1)
    assert Commune.objects.get(insee_code=ARGENTAN).name == "Argentan"


def test_the_csv_has_one_row_per_commune_with_unique_codes() -> None:
    rows = list(read_communes(COMMUNES_CSV))
    assert len(rows) == len({row.insee_code for row in rows}) == 34969


@pytest.mark.parametrize("query", ["Gacé", "gace", "GACE", "  Gacé "])
def test_search_by_name_ignores_case_and_accents(query: str) -> None:
    assert codes(commune_search(query))[0] == GACE


def test_search_ranks_exact_names_and_prefixes_first_then_by_population() -> None:
    results = commune_search("argentan")
    assert results[0].insee_code == ARGENTAN
    assert all("argentan" in c.search_name for c in results)


def test_search_understands_saint_abbreviations_and_hyphens() -> None:
    found = commune_search("st germain d'aunay")
    assert found and found[0].name == "Saint-Germain-d'Aunay"
    assert normalize("Sainte-Gauburge-Sainte-Colombe") == normalize("ste gauburge ste colombe")


def test_search_by_postal_code_returns_every_commune_it_serves() -> None:
    results = commune_search("61200", limit=100)
    assert ARGENTAN in codes(results)
    assert all("61200" in c.postal_codes.split() for c in results)
    assert len(results) > 5


def test_search_by_insee_code_puts_that_commune_first() -> None:
    assert codes(commune_search(ARGENTAN))[0] == ARGENTAN
    assert codes(commune_search("2a004"))[0] == "2A004"


def test_search_within_a_cell_returns_only_its_territory(world: World) -> None:
    assert codes(commune_search("a", cell=world.cell, limit=100)) != []
    assert set(codes(commune_search("a", cell=world.cell, limit=100))) <= {ARGENTAN, GACE, "61214"}
    assert commune_search("Clisson", cell=world.cell) == []
    assert codes(commune_search("Clisson", cell=world.other_cell)) == [CLISSON]


@pytest.mark.parametrize("query", ["", "   ", "-", "zzzzzz", "00000"])
def test_search_with_nothing_to_find_returns_an_empty_list(query: str) -> None:
    assert commune_search(query) == []


def test_great_circle_distance_between_argentan_and_l_aigle() -> None:
    argentan = Commune.objects.get(insee_code=ARGENTAN)
    laigle = Commune.objects.get(insee_code="61214")
    km = great_circle_km(argentan.latitude, argentan.longitude, laigle.latitude, laigle.longitude)
    assert 40 < km < 55
    assert great_circle_km(48.0, 0.0, 48.0, 0.0) == 0.0


def test_commune_search_endpoint_returns_datalist_options(world: World) -> None:
    client = world.client_for(world.colleague)
    response = client.get(f"/c/{world.cell.slug}/territoire/communes/", {"q": "gace"})
    assert response.status_code == 200
    assert '<option value="Gacé (61230) · 61181">' in response.content.decode()
    everywhere = client.get(f"/c/{world.cell.slug}/territoire/communes/", {"q": "Clisson", "scope": "all"})
    assert "44043" in everywhere.content.decode()
    inside = client.get(f"/c/{world.cell.slug}/territoire/communes/", {"q": "Clisson"})
    assert "44043" not in inside.content.decode()


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("Gacé (61230) · 61181", GACE),
        ("gace", GACE),
        ("61181", GACE),
        ("61790", "61447"),
        ("2A004", "2A004"),
        ("Argentan", ARGENTAN),
    ],
)
def test_the_commune_field_understands_names_codes_and_suggestions(typed: str, expected: str) -> None:
    assert CommuneField().clean(typed).insee_code == expected


@pytest.mark.parametrize(
    "typed, message",
    [
        ("6123", "code postal"),
        ("61999", "Aucune commune"),
        ("99999", "code postal"),
        ("Atlantide", "Commune inconnue"),
        ("61200", "Plusieurs communes"),
        ("Saint-Martin", "Plusieurs communes"),
    ],
)
def test_the_commune_field_explains_what_is_wrong_in_french(typed: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        CommuneField().clean(typed)
    assert message in raised.value.messages[0]


@pytest.mark.django_db
def test_postgresql_searches_communes_through_trigram_indexes() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        assert connection.vendor == "sqlite"  # the embedded database scans, and has no such index to check
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'territory_commune'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"territory_commune_search_trgm", "territory_commune_postal_codes_trgm"} <= names
