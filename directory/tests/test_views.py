"""The directory screens: forms keep what was typed and say what is wrong in French; lists don't grow queries."""

import pytest
from django.urls import reverse

from conftest import World
from directory.models import Professional, Site
from tests.factories import ProfessionalFactory, SiteFactory, next_rpps

pytestmark = pytest.mark.django_db


def site_payload(**overrides: str) -> dict[str, str]:
    data = {
        "kind": "practice",
        "name": "Cabinet des Tilleuls",
        "address": "3 rue des Tilleuls",
        "commune": "Argentan (61200) · 61006",
        "phone": "02 33 12 34 56",
        "email": "",
        "finess": "",
        "hours": "",
        "latitude": "",
        "longitude": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("typed", ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "0612345678"])
def test_site_phone_numbers_are_stored_in_e164(world: World, typed: str) -> None:
    client = world.client_for(world.owner)
    response = client.post(
        reverse("directory:site_create", kwargs={"cell": world.cell.slug}), site_payload(phone=typed)
    )
    assert response.status_code == 302
    assert str(Site.objects.get(name="Cabinet des Tilleuls").phone) == "+33612345678"


def test_an_invalid_site_keeps_what_was_typed_and_names_each_field(world: World) -> None:
    client = world.client_for(world.owner)
    response = client.post(
        reverse("directory:site_create", kwargs={"cell": world.cell.slug}),
        site_payload(phone="12 34", commune="Nulle-Part-sur-Mer"),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"phone", "commune"}
    body = response.content.decode()
    assert 'value="Cabinet des Tilleuls"' in body
    assert 'value="Nulle-Part-sur-Mer"' in body
    assert not Site.objects.filter(name="Cabinet des Tilleuls").exists()


def test_a_commune_outside_the_territory_is_reported_on_the_commune_field(world: World) -> None:
    client = world.client_for(world.owner)
    response = client.post(
        reverse("directory:site_create", kwargs={"cell": world.cell.slug}),
        site_payload(commune="Clisson (44190) · 44043"),
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["commune"]
    assert "Clisson" in response.context["form"].errors["commune"][0]
    assert not Site.objects.exists()


def test_a_duplicate_professional_is_reported_on_the_rpps_field(world: World) -> None:
    rpps = next_rpps()
    ProfessionalFactory(cell=world.cell, rpps=rpps, last_name="Marchal", first_name="Iris")
    client = world.client_for(world.owner)
    response = client.post(
        reverse("directory:professional_create", kwargs={"cell": world.cell.slug}),
        {
            "last_name": "Marchal",
            "first_name": "Iris",
            "profession": "gp",
            "rpps": rpps,
            "adeli": "",
            "teleconsultant_tier": "",
            "phone": "",
            "email": "",
            "mssante": "",
            "specialty": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "Iris MARCHAL" in response.context["form"].errors["rpps"][0]
    assert Professional.objects.filter(rpps=rpps).count() == 1


def test_editing_a_professional_changes_only_that_professional(world: World) -> None:
    pro = ProfessionalFactory(cell=world.cell, last_name="Ancien")
    site = SiteFactory(cell=world.cell)
    client = world.client_for(world.owner)
    response = client.post(
        reverse("directory:professional_update", kwargs={"cell": world.cell.slug, "pk": pro.pk}),
        {
            "last_name": "Nouveau",
            "first_name": pro.first_name,
            "profession": "gp",
            "rpps": pro.rpps,
            "adeli": "",
            "sites": [site.pk],
            "teleconsultant_tier": "regional",
            "phone": "",
            "email": "",
            "mssante": "",
            "specialty": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    pro.refresh_from_db()
    assert (pro.last_name, pro.teleconsultant_tier, list(pro.sites.all())) == ("Nouveau", "regional", [site])


def test_a_coordinator_reads_the_directory_but_cannot_edit_it(world: World) -> None:
    client = world.client_for(world.colleague)
    assert client.get(reverse("directory:professional_list", kwargs={"cell": world.cell.slug})).status_code == 200
    create = reverse("directory:professional_create", kwargs={"cell": world.cell.slug})
    assert client.get(create).status_code == 403
    assert client.post(create, {"last_name": "X"}).status_code == 403


def test_list_search_filters_and_paginates(world: World, settings: object) -> None:
    settings.AIGUILLAGE_PAGE_SIZE = 5
    for i in range(12):
        ProfessionalFactory(cell=world.cell, last_name=f"Leroux{i:02d}")
    ProfessionalFactory(cell=world.cell, last_name="Élodie-Bérard", profession="nurse")
    client = world.client_for(world.owner)
    url = reverse("directory:professional_list", kwargs={"cell": world.cell.slug})
    page2 = client.get(url, {"page": 2})
    assert page2.context["page_obj"].number == 2
    assert len(page2.context["rows"]) == 5
    found = client.get(url, {"q": "elodie berard"})
    assert [obj.last_name for obj, _ in found.context["rows"]] == ["Élodie-Bérard"]
    nurses = client.get(url, {"profession": "nurse"})
    assert nurses.context["paginator"].count == 1
    partial = client.get(url, {"q": "leroux"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert partial.context["paginator"].count == 12


@pytest.mark.parametrize("url_name", ["directory:professional_list", "directory:site_list", "directory:resource_list"])
def test_list_pages_use_a_constant_number_of_queries(
    world: World, django_assert_max_num_queries: object, url_name: str
) -> None:
    for i in range(20):
        site = SiteFactory(cell=world.cell, name=f"Site {i}")
        ProfessionalFactory(cell=world.cell).sites.add(site)
    client = world.client_for(world.owner)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(reverse(url_name, kwargs={"cell": world.cell.slug}))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "latitude, longitude, field",
    [("100", "0", "latitude"), ("48.7", "", "longitude"), ("", "0.2", "latitude"), ("48.7", "200", "longitude")],
)
def test_a_site_point_must_be_complete_and_on_earth(world: World, latitude: str, longitude: str, field: str) -> None:
    client = world.client_for(world.owner)
    response = client.post(
        reverse("directory:site_create", kwargs={"cell": world.cell.slug}),
        site_payload(latitude=latitude, longitude=longitude),
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert not Site.objects.filter(name="Cabinet des Tilleuls").exists()


def test_a_precise_point_is_kept_and_preferred_to_the_communes(world: World) -> None:
    client = world.client_for(world.owner)
    response = client.post(
        reverse("directory:site_create", kwargs={"cell": world.cell.slug}),
        site_payload(latitude="48.745", longitude="-0.02"),
    )
    assert response.status_code == 302
    assert Site.objects.get(name="Cabinet des Tilleuls").point == (48.745, -0.02)


def test_a_typed_code_is_shown_back_as_typed_never_as_another_commune(world: World) -> None:
    client = world.client_for(world.owner)
    response = client.post(
        reverse("directory:site_create", kwargs={"cell": world.cell.slug}), site_payload(commune="12")
    )
    assert response.status_code == 200
    assert 'value="12"' in response.content.decode()


@pytest.mark.parametrize("typed", ["{rpps}", "{spaced}", "8{rpps}"])
def test_rpps_typed_in_its_usual_forms_is_accepted(world: World, typed: str) -> None:
    rpps = next_rpps()
    value = typed.format(rpps=rpps, spaced=f"{rpps[:3]} {rpps[3:7]} {rpps[7:]}")
    client = world.client_for(world.owner)
    response = client.post(
        reverse("directory:professional_create", kwargs={"cell": world.cell.slug}),
        {
            "last_name": "Forme",
            "first_name": "Usuelle",
            "profession": "gp",
            "rpps": value,
            "adeli": "",
            "teleconsultant_tier": "",
            "phone": "",
            "email": "",
            "mssante": "",
            "specialty": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert Professional.objects.get(last_name="Forme").rpps == rpps


def test_adeli_with_its_national_prefix_is_accepted(world: World) -> None:
    client = world.client_for(world.owner)
    response = client.post(
        reverse("directory:professional_create", kwargs={"cell": world.cell.slug}),
        {
            "last_name": "Infirmière",
            "first_name": "Ada",
            "profession": "nurse",
            "rpps": "",
            "adeli": "0611234567",
            "teleconsultant_tier": "",
            "phone": "",
            "email": "",
            "mssante": "",
            "specialty": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Professional.objects.get(last_name="Infirmière").adeli == "611234567"
