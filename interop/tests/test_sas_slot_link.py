"""The `comment` of a slot sent to the SAS: the regulator's way from the SAS platform into the cell's request form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext

from agenda.tests.factories import make_slot
from conftest import World
from interop.services.regulators import RegulatorData, regulator_save
from tests.factories import ProfessionalFactory


@pytest.fixture
def regulator(world: World) -> Any:
    saved, _ = regulator_save(
        data=RegulatorData(national_id="810002673899", sas_id="", active=True, family="Marius", given="Jules", email="")
    )
    return saved.user


@pytest.fixture
def sas_slot(world: World) -> Any:
    doctor = ProfessionalFactory(cell=world.cell, last_name="Forêt")
    return make_slot(world.cell, professional=doctor, open_to_sas=True, starts_at=timezone.now() + timedelta(days=20))


def test_anonymous_visitor_is_asked_to_log_in_first(client: Client, sas_slot: Any) -> None:
    response = client.get(f"/sas/creneaux/{sas_slot.pk}/?origin=sas")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/?next=")
    assert response["Location"] == f"/connexion/?next=/sas/creneaux/{sas_slot.pk}/%3Forigin%3Dsas"


def test_a_regulator_lands_on_the_request_form_with_the_slot_chosen(
    world: World, regulator: Any, sas_slot: Any
) -> None:
    client = world.client_for(regulator)
    response = client.get(f"/sas/creneaux/{sas_slot.pk}/?origin=sas")
    assert response.status_code == 302
    assert response["Location"] == f"/c/{world.cell.slug}/demandes/nouvelle/?creneau={sas_slot.pk}"
    page = client.get(response["Location"])
    assert page.context["chosen_slot"] and str(sas_slot.professional) in page.context["chosen_slot"]
    form = page.context["form"]
    # Twenty days ahead: beyond the first slots the form lists, yet offered and chosen.
    assert form.initial["slot"] == str(sas_slot.pk)
    assert str(sas_slot.pk) in dict(form.fields["slot"].choices)


def test_a_slot_taken_meanwhile_says_so(world: World, regulator: Any, sas_slot: Any) -> None:
    sas_slot.booked = 1
    sas_slot.save()
    client = world.client_for(regulator)
    response = client.get(f"/sas/creneaux/{sas_slot.pk}/", follow=True)
    assert response.redirect_chain[-1][0] == f"/c/{world.cell.slug}/demandes/nouvelle/"
    gone = gettext("This slot was taken or withdrawn meanwhile: choose another one.")
    assert [str(m) for m in response.context["messages"]] == [gone]
    assert "slot" not in response.context["form"].initial


def test_someone_who_may_not_book_it_is_told(world: World, sas_slot: Any) -> None:
    response = world.client_for(world.outsider).get(f"/sas/creneaux/{sas_slot.pk}/")
    assert response.status_code == 404  # another cell's slot: not revealed (the probe got a 403 naming the cell)
    assert world.cell.name not in response.content.decode()
    assert response.context["slot"] is None  # the page of a slot that does not exist
    closed = make_slot(world.cell, open_to_sas=False, professional=sas_slot.professional)
    assert world.client_for(world.colleague).get(f"/sas/creneaux/{closed.pk}/").status_code == 403
    assert world.client_for(world.colleague).get("/sas/creneaux/999999/").status_code == 404


def test_a_link_to_a_slot_lets_in_the_gp_it_names_and_refuses_another_gp(world: World) -> None:
    """Decision 0017: the link follows the direct-booking rule, a name as much as a kind."""
    from accounts.models import Role
    from tests.factories import MembershipFactory

    named, other = (
        MembershipFactory(
            cell=world.cell, role=Role.REQUESTER, requester_type="gp", professional=ProfessionalFactory(cell=world.cell)
        )
        for _ in range(2)
    )
    slot = make_slot(world.cell, care_channel="imaging", exam_type="radiography")
    slot.open_to_professionals.add(named.professional)
    assert world.client_for(other.user).get(f"/sas/creneaux/{slot.pk}/").status_code == 403
    response = world.client_for(named.user).get(f"/sas/creneaux/{slot.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/c/{world.cell.slug}/demandes/nouvelle/?creneau={slot.pk}"
