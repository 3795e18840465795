import pytest

from common.errors import DomainError
from common.identifiers import RPPS_KEY_WARNING, luhn_key
from conftest import ARGENTAN, CLISSON, World
from directory import services
from directory.models import Profession, Professional, ReorientationResource, Site, SiteKind
from tests.factories import ProfessionalFactory, SiteFactory, commune, next_rpps

pytestmark = pytest.mark.django_db


def test_a_site_in_the_territory_is_saved(world: World) -> None:
    site = services.site_save(
        cell=world.cell, kind=SiteKind.PHARMACY, name="Pharmacie du Marché", commune=commune(ARGENTAN)
    )
    assert Site.objects.get(pk=site.pk).cell == world.cell


def test_a_site_outside_the_territory_is_refused_and_nothing_is_saved(world: World) -> None:
    with pytest.raises(DomainError) as raised:
        services.site_save(cell=world.cell, kind=SiteKind.PRACTICE, name="Cabinet de Clisson", commune=commune(CLISSON))
    assert raised.value.field == "commune"
    assert "Clisson" in str(raised.value.message)
    assert not Site.objects.filter(name="Cabinet de Clisson").exists()


def test_the_same_site_twice_in_a_commune_is_refused(world: World) -> None:
    SiteFactory(cell=world.cell, name="Maison de santé du Pays d'Argentan", commune=commune(ARGENTAN))
    with pytest.raises(DomainError) as raised:
        services.site_save(
            cell=world.cell,
            kind=SiteKind.HEALTH_CENTRE,
            name="maison de santé du pays d'argentan",
            commune=commune(ARGENTAN),
        )
    assert raised.value.field == "name"


def test_a_professional_entered_twice_is_refused_with_the_name_of_the_first(world: World) -> None:
    rpps = next_rpps()
    ProfessionalFactory(cell=world.cell, last_name="Durandal", first_name="Agathe", rpps=rpps)
    with pytest.raises(DomainError) as raised:
        services.professional_save(
            cell=world.cell,
            last_name="Durandal",
            first_name="A.",
            profession=Profession.GP,
            rpps=f"{rpps[:3]} {rpps[3:]}",
        )
    assert raised.value.field == "rpps"
    assert "Agathe DURANDAL" in str(raised.value.message)
    assert Professional.objects.filter(cell=world.cell, rpps=rpps).count() == 1


def test_the_same_rpps_may_exist_in_another_cell(world: World) -> None:
    rpps = next_rpps()
    ProfessionalFactory(cell=world.other_cell, rpps=rpps)
    pro = services.professional_save(
        cell=world.cell, last_name="Aubert", first_name="Lou", profession=Profession.GP, rpps=rpps
    )
    assert pro.rpps == rpps


def test_a_health_professional_needs_an_identifier_but_an_assistant_does_not(world: World) -> None:
    with pytest.raises(DomainError) as raised:
        services.professional_save(cell=world.cell, last_name="Sans", first_name="Numéro", profession=Profession.NURSE)
    assert raised.value.field == "rpps"
    assistant = services.professional_save(
        cell=world.cell, last_name="Assistant", first_name="Noé", profession=Profession.MEDICAL_ASSISTANT
    )
    assert assistant.pk is not None


def test_a_failed_rpps_key_saves_with_a_warning(world: World) -> None:
    body = "1999123456"
    wrong_key = body + str((int(luhn_key(body)) + 1) % 10)
    pro = services.professional_save(
        cell=world.cell, last_name="Clé", first_name="Fausse", profession=Profession.GP, rpps=wrong_key
    )
    assert Professional.objects.get(pk=pro.pk).rpps == wrong_key
    assert services.identifier_warnings(pro) == [str(RPPS_KEY_WARNING)]


def test_sites_of_another_cell_cannot_be_attached(world: World) -> None:
    foreign = SiteFactory(cell=world.other_cell)
    with pytest.raises(DomainError) as raised:
        services.professional_save(
            cell=world.cell,
            last_name="Test",
            first_name="Eve",
            profession=Profession.GP,
            rpps=next_rpps(),
            sites=[foreign],
        )
    assert raised.value.field == "sites"
    assert not Professional.objects.filter(last_name="Test").exists()


def test_a_resource_serving_a_commune_outside_the_territory_is_refused(world: World) -> None:
    with pytest.raises(DomainError) as raised:
        services.resource_save(
            cell=world.cell,
            kind="pharmacy",
            name="Pharmacie de garde",
            communes_served=[commune(ARGENTAN), commune(CLISSON)],
        )
    assert raised.value.field == "communes_served"
    assert not ReorientationResource.objects.exists()
