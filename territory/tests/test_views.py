import pytest
from django.urls import reverse

from conftest import World
from territory.models import Cell

pytestmark = pytest.mark.django_db


def test_the_cell_administrator_sets_the_professionals_only_number(world: World) -> None:
    client = world.client_for(world.owner)
    url = reverse("territory:cell_settings", kwargs={"cell": world.cell.slug})
    response = client.post(url, {"name": "CSNP Test Orne", "phone": "02 33 12 34 56", "email": "csnp@example.org"})
    assert response.status_code == 302
    world.cell.refresh_from_db()
    assert str(world.cell.phone) == "+33233123456"


def test_the_number_for_patients_is_set_apart_from_the_professionals_only_one(world: World) -> None:
    client = world.client_for(world.owner)
    url = reverse("territory:cell_settings", kwargs={"cell": world.cell.slug})
    body = {"name": "CSNP Test Orne", "phone": "02 33 12 34 56", "patient_phone": "02 33 12 34 57", "email": ""}
    assert client.post(url, body).status_code == 302
    world.cell.refresh_from_db()
    assert (str(world.cell.phone), str(world.cell.patient_phone)) == ("+33233123456", "+33233123457")
    same = client.post(url, body | {"patient_phone": "0233123456"})
    assert same.status_code == 200 and list(same.context["form"].errors) == ["patient_phone"]
    assert "réservé aux professionnels" in same.content.decode()
    assert same.context["form"]["patient_phone"].value() == "0233123456"  # kept as typed
    world.cell.refresh_from_db()
    assert str(world.cell.patient_phone) == "+33233123457"


def test_a_cell_cannot_take_another_cells_name(world: World) -> None:
    client = world.client_for(world.owner)
    url = reverse("territory:cell_settings", kwargs={"cell": world.cell.slug})
    response = client.post(url, {"name": "csnp test vignoble", "phone": "", "email": ""})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    assert Cell.objects.get(pk=world.cell.pk).name == "CSNP Test Orne"


def test_a_coordinator_cannot_change_the_cell(world: World) -> None:
    client = world.client_for(world.colleague)
    url = reverse("territory:cell_settings", kwargs={"cell": world.cell.slug})
    assert client.post(url, {"name": "Renamed", "phone": "", "email": ""}).status_code == 403


def test_adding_and_removing_communes_of_the_territory(world: World) -> None:
    client = world.client_for(world.owner)
    add = reverse("territory:territory_commune_add", kwargs={"cell": world.cell.slug, "pk": world.territory.pk})
    assert client.post(add, {"commune": "Vimoutiers (61120) · 61508"}).status_code == 302
    assert world.territory.communes.filter(insee_code="61508").exists()
    again = client.post(add, {"commune": "Vimoutiers (61120) · 61508"})
    assert again.status_code == 422
    assert "Vimoutiers" in again.context["add_form"].errors["commune"][0]
    unknown = client.post(add, {"commune": "Atlantide"})
    assert unknown.status_code == 422
    commune_pk = world.territory.communes.get(insee_code="61508").pk
    remove = reverse(
        "territory:territory_commune_remove",
        kwargs={"cell": world.cell.slug, "pk": world.territory.pk, "commune_pk": commune_pk},
    )
    assert client.post(remove, HTTP_HX_REQUEST="true").status_code == 200
    assert not world.territory.communes.filter(insee_code="61508").exists()


def test_a_territory_finess_is_checked(world: World) -> None:
    client = world.client_for(world.owner)
    url = reverse("territory:territory_update", kwargs={"cell": world.cell.slug, "pk": world.territory.pk})
    response = client.post(url, {"name": "CPTS Test Orne", "finess": "12345"})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["finess"]


def test_a_commune_with_the_cells_records_stays_in_the_territory(world: World) -> None:
    from tests.factories import SiteFactory, commune

    SiteFactory(cell=world.cell, name="Cabinet de Gacé", commune=commune("61181"))
    gace = world.territory.communes.get(insee_code="61181")
    client = world.client_for(world.owner)
    url = reverse(
        "territory:territory_commune_remove",
        kwargs={"cell": world.cell.slug, "pk": world.territory.pk, "commune_pk": gace.pk},
    )
    kept = client.post(url, HTTP_HX_REQUEST="true")
    assert kept.status_code == 200
    assert kept["HX-Reswap"] == "none"
    assert "Cabinet de Gacé" in kept.content.decode()
    assert world.territory.communes.filter(pk=gace.pk).exists()
    plain = client.post(url, follow=True)
    assert "Cabinet de Gacé" in plain.content.decode()
    assert world.territory.communes.filter(pk=gace.pk).exists()


def test_removing_a_commune_announces_it_and_updates_the_count(world: World) -> None:
    client = world.client_for(world.owner)
    laigle = world.territory.communes.get(insee_code="61214")
    url = reverse(
        "territory:territory_commune_remove",
        kwargs={"cell": world.cell.slug, "pk": world.territory.pk, "commune_pk": laigle.pk},
    )
    body = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="commune-count"' in body and "2 communes" in body
    assert "L&#x27;Aigle retirée du territoire" in body and 'role="status"' in body
