"""The shared pools' pages (decision 0021): thin views over the services, for cell administrators only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from conftest import World
from directory import services
from directory.models import AgreementStatus, PoolAgreement
from tests.factories import CellFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


def url(world_cell: Any, name: str, **kwargs: Any) -> str:
    return reverse(f"directory:{name}", kwargs={"cell": world_cell.slug, **kwargs})


def offered(world: World) -> PoolAgreement:
    return services.pool_agreement_offer(
        cell=world.other_cell,
        professional=ProfessionalFactory(cell=world.other_cell, last_name="Partagé"),
        to_cell=world.cell,
        tier="regional",
        starts_on=timezone.localdate(),
        ends_on=None,
        user=world.outsider,
    )


def test_the_other_cells_administrator_offers_and_this_cells_accepts(world: World) -> None:
    professional = ProfessionalFactory(cell=world.other_cell, last_name="Partagé")
    response = world.client_for(world.outsider).post(
        url(world.other_cell, "pool_offer"),
        {
            "professional": professional.pk,
            "to_cell": world.cell.slug,
            "tier": "regional",
            "starts_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    agreement = PoolAgreement.objects.get()
    assert (agreement.cell, agreement.status) == (world.cell, AgreementStatus.OFFERED)
    response = world.client_for(world.owner).post(url(world.cell, "pool_accept", pk=agreement.pk))
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert (agreement.status, agreement.accepted_by) == (AgreementStatus.ACCEPTED, world.owner)


def test_an_overlapping_offer_is_shown_on_the_form_and_nothing_is_saved(world: World) -> None:
    first = offered(world)
    with translation.override("en"):
        response = world.client_for(world.outsider).post(
            url(world.other_cell, "pool_offer"),
            {
                "professional": first.professional.pk,
                "to_cell": world.cell.slug,
                "tier": "extra_territorial",
                "starts_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert "already offered to" in response.content.decode()
    assert PoolAgreement.objects.count() == 1


def test_the_offer_form_lists_only_the_cells_own_professionals_and_no_other_cell(world: World) -> None:
    mine = ProfessionalFactory(cell=world.cell, last_name="Maison")
    theirs = ProfessionalFactory(cell=world.other_cell, last_name="Ailleurs")
    response = world.client_for(world.owner).get(url(world.cell, "pool_offer"))
    choices = {choice.value for choice, _label in response.context["form"].fields["professional"].choices if choice}
    assert mine.pk in choices and theirs.pk not in choices
    assert world.other_cell.name not in response.content.decode()


def test_an_unknown_short_name_is_refused_on_the_form(world: World) -> None:
    from directory.forms import NO_SUCH_CELL

    mine = ProfessionalFactory(cell=world.cell, last_name="Maison")
    body = {
        "professional": mine.pk,
        "to_cell": "nulle-part",
        "tier": "regional",
        "starts_on": str(timezone.localdate()),
    }
    response = world.client_for(world.owner).post(url(world.cell, "pool_offer"), body)
    assert response.status_code == 200
    assert response.context["form"].errors["to_cell"] == [str(NO_SUCH_CELL)]
    assert not PoolAgreement.objects.exists()


def test_the_list_shows_given_and_received_in_a_constant_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    offered(world)
    client = world.client_for(world.owner)
    client.get(url(world.cell, "pool_list"))  # the session and the cell warmed
    with django_assert_max_num_queries(12) as first:
        response = client.get(url(world.cell, "pool_list"))
    assert response.status_code == 200 and "PARTAGÉ" in response.content.decode()
    for index in range(5):
        services.pool_agreement_offer(
            cell=world.other_cell,
            professional=ProfessionalFactory(cell=world.other_cell, last_name=f"Autre{index}"),
            to_cell=world.cell,
            tier="extra_territorial",
            starts_on=timezone.localdate(),
            ends_on=None,
            user=world.outsider,
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(url(world.cell, "pool_list"))
    assert response.content.decode().count("AUTRE") == 5


def test_coordinators_may_not_manage_pools(world: World) -> None:
    agreement = offered(world)
    client = world.client_for(world.colleague)
    assert client.get(url(world.cell, "pool_list")).status_code == 403
    assert client.post(url(world.cell, "pool_accept", pk=agreement.pk)).status_code == 403
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.OFFERED


def test_a_cell_outside_the_agreement_gets_404(world: World) -> None:
    from accounts.models import Role
    from tests.factories import MembershipFactory

    agreement = offered(world)
    third = CellFactory(slug="tierce")
    admin = MembershipFactory(cell=third, role=Role.CELL_ADMIN).user
    client = world.client_for(admin)
    assert client.post(url(third, "pool_accept", pk=agreement.pk)).status_code == 404
    assert client.post(url(third, "pool_end", pk=agreement.pk)).status_code == 404


def test_ending_from_the_list_sets_the_last_day_and_a_past_day_is_refused(world: World) -> None:
    agreement = offered(world)
    services.pool_agreement_accept(cell=world.cell, agreement=agreement, user=world.owner)
    client = world.client_for(world.outsider)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    client.post(url(world.other_cell, "pool_end", pk=agreement.pk), {"last_day": yesterday})
    agreement.refresh_from_db()
    assert agreement.ends_on is None
    in_a_week = timezone.localdate() + timedelta(days=7)
    client.post(url(world.other_cell, "pool_end", pk=agreement.pk), {"last_day": in_a_week.isoformat()})
    agreement.refresh_from_db()
    assert (agreement.ends_on, agreement.ended_by) == (in_a_week, world.outsider)


def test_an_offer_whose_last_day_passed_is_shown_expired_and_can_only_be_cleared(world: World) -> None:
    agreement = offered(world)
    today = timezone.localdate()
    PoolAgreement.objects.filter(pk=agreement.pk).update(
        starts_on=today - timedelta(days=9), ends_on=today - timedelta(days=1)
    )
    client = world.client_for(world.owner)
    page = client.get(url(world.cell, "pool_list")).content.decode()
    assert "Offre expirée : son dernier jour est passé" in page  # as the administrator reads it
    assert url(world.cell, "pool_accept", pk=agreement.pk) not in page
    client.post(url(world.cell, "pool_end", pk=agreement.pk))  # declined: off the list of what waits
    agreement.refresh_from_db()
    assert (agreement.status, agreement.ended_by) == (AgreementStatus.ENDED, world.owner)


def test_the_withdraw_button_carries_what_its_page_showed_and_a_crossed_acceptance_stays(world: World) -> None:
    agreement = offered(world)
    client = world.client_for(world.outsider)
    page = client.get(url(world.other_cell, "pool_list")).content.decode()
    assert '<input type="hidden" name="seen" value="offered">' in page
    services.pool_agreement_accept(cell=world.cell, agreement=agreement, user=world.owner)  # meanwhile, the other cell
    answer = client.post(url(world.other_cell, "pool_end", pk=agreement.pk), {"seen": "offered"}, follow=True)
    assert "L’autre cellule a répondu à cet accord entre-temps" in answer.content.decode()
    agreement.refresh_from_db()
    assert (agreement.status, agreement.ends_on) == (AgreementStatus.ACCEPTED, None)
