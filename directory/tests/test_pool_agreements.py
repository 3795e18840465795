"""Pools shared by several cells (decision 0021): the agreement's workflow and its refusals, services called
directly."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import cast

import pytest
from django.utils import timezone

from common.errors import DomainError
from conftest import World
from directory import selectors, services
from directory.models import AgreementStatus, PoolAgreement, Professional
from tests.factories import CellFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 12, 7, 10, 0))
TODAY = dt.date(2026, 12, 7)


def offer(world: World, **changes):
    """The other cell offers its regional teleconsultant to the world's cell."""
    values = {
        "cell": world.other_cell,
        "professional": changes.pop("professional", None)
        or ProfessionalFactory(cell=world.other_cell, teleconsultant_tier="local"),
        "to_cell": world.cell,
        "tier": "regional",
        "starts_on": TODAY,
        "ends_on": None,
        "user": world.outsider,
        "now": NOW,
    }
    values.update(changes)
    return services.pool_agreement_offer(**values)


def test_an_offer_waits_for_the_other_cell_and_counts_once_accepted(world: World) -> None:
    agreement = offer(world)
    assert agreement.status == AgreementStatus.OFFERED and not agreement.covers(TODAY)
    accepted = services.pool_agreement_accept(cell=world.cell, agreement=agreement, user=world.owner, now=NOW)
    assert (accepted.status, accepted.accepted_by, accepted.accepted_at) == (AgreementStatus.ACCEPTED, world.owner, NOW)
    assert accepted.covers(TODAY) and accepted.covers(TODAY + timedelta(days=400))


def test_only_the_professionals_own_cell_may_offer_them(world: World) -> None:
    theirs = ProfessionalFactory(cell=world.other_cell)
    with pytest.raises(DomainError) as raised:
        offer(world, cell=world.cell, professional=theirs, to_cell=CellFactory(), user=world.owner)
    assert raised.value.message == services.POOL_NOT_YOUR_PROFESSIONAL
    assert not PoolAgreement.objects.exists()


def test_an_offer_to_the_professionals_own_cell_is_refused(world: World) -> None:
    with pytest.raises(DomainError) as raised:
        offer(world, to_cell=world.other_cell)
    assert (raised.value.message, raised.value.field) == (services.POOL_HOME_CELL, "to_cell")
    assert not PoolAgreement.objects.exists()


def test_reversed_dates_and_a_past_first_day_are_refused(world: World) -> None:
    with pytest.raises(DomainError) as raised:
        offer(world, starts_on=TODAY + timedelta(days=10), ends_on=TODAY + timedelta(days=9))
    assert (raised.value.message, raised.value.field) == (services.POOL_DATES_REVERSED, "ends_on")
    with pytest.raises(DomainError) as raised:
        offer(world, starts_on=TODAY - timedelta(days=1))
    assert raised.value.message == services.POOL_STARTS_IN_PAST
    assert not PoolAgreement.objects.exists()


def test_the_database_refuses_reversed_dates_too(world: World) -> None:
    from django.db import IntegrityError, transaction

    professional = ProfessionalFactory(cell=world.other_cell)
    with pytest.raises(IntegrityError), transaction.atomic():
        PoolAgreement.objects.create(
            professional=cast(Professional, professional),
            cell=world.cell,
            tier="regional",
            starts_on=TODAY,
            ends_on=TODAY - timedelta(days=1),
            created_by=world.outsider,
            created_at=NOW,
        )


def test_an_agreement_overlapping_another_for_the_same_professional_and_cell_is_refused(world: World) -> None:
    first = offer(world, starts_on=TODAY, ends_on=TODAY + timedelta(days=30))
    with pytest.raises(DomainError) as raised:
        offer(world, professional=first.professional, starts_on=TODAY + timedelta(days=30))
    assert raised.value.code == "overlap"
    assert PoolAgreement.objects.count() == 1
    # The day after the first ends is free; another cell is another agreement.
    offer(world, professional=first.professional, starts_on=TODAY + timedelta(days=31))
    third = CellFactory()
    offer(world, professional=first.professional, to_cell=third)
    assert PoolAgreement.objects.count() == 3


def test_an_open_ended_agreement_overlaps_every_later_one(world: World) -> None:
    first = offer(world, starts_on=TODAY + timedelta(days=5))
    with pytest.raises(DomainError) as raised:
        offer(world, professional=first.professional, starts_on=TODAY, ends_on=TODAY + timedelta(days=5))
    assert raised.value.code == "overlap"


def test_only_the_cell_offered_to_accepts_and_only_once(world: World) -> None:
    agreement = offer(world)
    with pytest.raises(DomainError) as raised:
        services.pool_agreement_accept(cell=world.other_cell, agreement=agreement, user=world.outsider, now=NOW)
    assert raised.value.message == services.POOL_NOT_YOURS_TO_ACCEPT
    services.pool_agreement_accept(cell=world.cell, agreement=agreement, user=world.owner, now=NOW)
    with pytest.raises(DomainError) as raised:
        services.pool_agreement_accept(cell=world.cell, agreement=agreement, user=world.owner, now=NOW)
    assert raised.value.code == "not_offered"


def test_an_offer_whose_last_day_passed_cannot_be_accepted(world: World) -> None:
    agreement = offer(world, ends_on=TODAY + timedelta(days=2))
    later = NOW + timedelta(days=3)
    with pytest.raises(DomainError) as raised:
        services.pool_agreement_accept(cell=world.cell, agreement=agreement, user=world.owner, now=later)
    assert raised.value.code == "expired"
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.OFFERED
    # Either cell clears it (withdrawn, declined): an offer nobody can accept any more does not wait forever.
    ended = services.pool_agreement_end(cell=world.cell, agreement=agreement, user=world.owner, now=later)
    assert ended.status == AgreementStatus.ENDED


def test_a_waiting_offer_declined_by_the_other_cell_never_counts(world: World) -> None:
    agreement = offer(world)
    ended = services.pool_agreement_end(cell=world.cell, agreement=agreement, user=world.owner, now=NOW)
    assert (ended.status, ended.ended_by) == (AgreementStatus.ENDED, world.owner)
    with pytest.raises(DomainError) as raised:
        services.pool_agreement_accept(cell=world.cell, agreement=agreement, user=world.owner, now=NOW)
    assert raised.value.code == "not_offered"


def test_either_cell_ends_an_accepted_agreement_from_today_on(world: World) -> None:
    agreement = offer(world)
    services.pool_agreement_accept(cell=world.cell, agreement=agreement, user=world.owner, now=NOW)
    ended = services.pool_agreement_end(
        cell=world.other_cell, agreement=agreement, user=world.outsider, last_day=TODAY + timedelta(days=3), now=NOW
    )
    assert (ended.status, ended.ends_on) == (AgreementStatus.ACCEPTED, TODAY + timedelta(days=3))
    assert ended.covers(TODAY + timedelta(days=3)) and not ended.covers(TODAY + timedelta(days=4))
    with pytest.raises(DomainError) as raised:
        services.pool_agreement_end(
            cell=world.cell, agreement=agreement, user=world.owner, last_day=TODAY - timedelta(days=1), now=NOW
        )
    assert raised.value.message == services.POOL_END_IN_PAST
    # A last day later than the one it has would change nothing: refused, and nothing recorded as ended.
    with pytest.raises(DomainError) as raised:
        services.pool_agreement_end(
            cell=world.cell, agreement=agreement, user=world.owner, last_day=TODAY + timedelta(days=9), now=NOW
        )
    assert (raised.value.code, raised.value.field) == ("not_earlier", "last_day")
    agreement.refresh_from_db()
    assert (agreement.ends_on, agreement.ended_by) == (TODAY + timedelta(days=3), world.outsider)
    # Once its last day has passed it is over.
    with pytest.raises(DomainError) as raised:
        services.pool_agreement_end(cell=world.cell, agreement=agreement, user=world.owner, now=NOW + timedelta(days=5))
    assert raised.value.code == "ended"


def test_an_accepted_agreement_ended_before_its_first_day_never_counts(world: World) -> None:
    agreement = offer(world, starts_on=TODAY + timedelta(days=10))
    services.pool_agreement_accept(cell=world.cell, agreement=agreement, user=world.owner, now=NOW)
    ended = services.pool_agreement_end(cell=world.cell, agreement=agreement, user=world.owner, now=NOW)
    assert ended.status == AgreementStatus.ENDED
    # Ended, it no longer blocks a new agreement for those days.
    offer(world, professional=agreement.professional, starts_on=TODAY + timedelta(days=10))


def test_a_third_cell_may_not_end_an_agreement(world: World) -> None:
    agreement = offer(world)
    with pytest.raises(DomainError) as raised:
        services.pool_agreement_end(cell=CellFactory(), agreement=agreement, user=world.owner, now=NOW)
    assert raised.value.message == services.POOL_NOT_A_PARTY


def test_each_cell_lists_what_it_gives_and_receives_and_reads_only_its_own(world: World) -> None:
    given = offer(world)
    assert list(selectors.pool_agreements_given(world.other_cell)) == [given]
    assert list(selectors.pool_agreements_received(world.cell)) == [given]
    assert not selectors.pool_agreements_given(world.cell).exists()
    assert selectors.pool_agreement_get(world.cell, given.pk) == given
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.pool_agreement_get(CellFactory(), given.pk)


def test_a_withdrawal_that_crossed_the_other_cells_acceptance_changes_nothing(world: World) -> None:
    """The home cell's page still showed the offer (Withdraw) when the other cell accepted it: the withdrawal, sent
    with the status it saw, is refused and the agreement stays accepted, with no last day."""
    agreement = offer(world)
    services.pool_agreement_accept(cell=world.cell, agreement=agreement, user=world.owner, now=NOW)
    with pytest.raises(DomainError) as raised:
        services.pool_agreement_end(
            cell=world.other_cell, agreement=agreement, user=world.outsider, now=NOW, seen=AgreementStatus.OFFERED
        )
    assert raised.value.code == "changed"
    agreement.refresh_from_db()
    assert (agreement.status, agreement.ends_on, agreement.ended_by) == (AgreementStatus.ACCEPTED, None, None)
    # Seen as it is, it ends as before.
    ended = services.pool_agreement_end(
        cell=world.other_cell, agreement=agreement, user=world.outsider, now=NOW, seen=AgreementStatus.ACCEPTED
    )
    assert ended.ends_on == TODAY
