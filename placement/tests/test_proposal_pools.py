"""The placement assistant sees what the finder sees (decision 0021): the pool's slots and teleconsultants that other
cells share with the cell, with the tier of the agreement; an agreement ended between the proposal and its
application is reported by the booking's own reason, nothing booked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agenda.models import Booking, BookingStatus, Slot
from agenda.services.booking import SLOT_OTHER_CELL
from agenda.tests.factories import make_site, make_slot, share
from common.errors import DomainError
from conftest import ARGENTAN, L_AIGLE, World
from directory.models import AgreementStatus, PoolAgreement, Professional
from placement import proposal as placement
from referrals.states import Status
from tests.factories import ProfessionalFactory

from .test_proposal import membership, waiting

pytestmark = pytest.mark.django_db


def shared(world: World, tier: str = "regional", **fields: object) -> Professional:
    """A professional of the other cell, shared with the world's cell from today with this tier."""
    professional: Professional = ProfessionalFactory(cell=world.other_cell, **fields)
    share(professional, world.cell, tier=tier)
    return professional


def test_a_spot_time_counts_when_a_pool_teleconsultant_covers_it_with_the_agreements_tier(world: World) -> None:
    now = timezone.now()
    request = waiting(world, urgency="24h")
    spot = make_site(world.cell, L_AIGLE, kind="telemedicine_spot")
    at = now + timedelta(hours=4)
    spot_time = make_slot(world.cell, site=spot, starts_at=at, modality="assisted_teleconsultation")
    alone = make_slot(world.cell, site=spot, starts_at=at + timedelta(hours=3), modality="assisted_teleconsultation")
    # Local in their own cell, regional for the world's cell: the agreement's tier is the one that counts here.
    doctor = shared(world, "regional", teleconsultant_tier="local", last_name="Régional")
    theirs = make_slot(world.other_cell, professional=doctor, starts_at=at, modality="assisted_teleconsultation")
    # Another cell's doctor with no agreement covers the later time: it stays out.
    stranger = ProfessionalFactory(cell=world.other_cell, teleconsultant_tier="local")
    make_slot(world.other_cell, professional=stranger, starts_at=alone.starts_at, modality="assisted_teleconsultation")

    proposal = placement.proposal_build(membership=membership(world), now=now)

    assert proposal.slots == 1  # the spot time the pool doctor covers; not the other, not the doctor's own time
    assert proposal.pairings == [(request.pk, spot_time.pk)]
    row = proposal.rows[0]
    assert row.proposed is not None and row.proposed.tier == 1
    assert str(row.proposed.tier_label) == "Vivier régional"

    applied = placement.proposal_apply(
        cell=world.cell, user=world.colleague, pairings=proposal.pairings, allowed=proposal.pairings, now=now
    )
    assert applied.not_applied == [] and len(applied.booked) == 1
    booking = Booking.objects.get(request=request)
    assert (booking.slot_id, booking.paired_slot_id) == (spot_time.pk, theirs.pk)
    assert Slot.objects.get(pk=theirs.pk).booked == 1


def test_a_pool_professionals_slot_is_proposed_and_booked_for_the_cells_patient(world: World) -> None:
    now = timezone.now()
    request = waiting(world, urgency="24h")
    doctor = shared(world, last_name="Partagé")
    practice = make_site(world.other_cell, ARGENTAN)
    pooled = make_slot(world.other_cell, professional=doctor, site=practice, starts_at=now + timedelta(hours=2))
    # The same professional's slot on a day before the agreement starts is not the pool's.
    make_slot(world.other_cell, professional=doctor, site=practice, starts_at=now - timedelta(days=2))

    proposal = placement.proposal_build(membership=membership(world), now=now)
    assert proposal.pairings == [(request.pk, pooled.pk)]

    applied = placement.proposal_apply(
        cell=world.cell, user=world.colleague, pairings=proposal.pairings, allowed=proposal.pairings, now=now
    )
    assert [done.booking.slot_id for done in applied.booked] == [pooled.pk]
    request.refresh_from_db()
    assert request.status == Status.ORIENTED
    assert Booking.objects.get(request=request, status=BookingStatus.BOOKED).slot.cell == world.other_cell

    # Read back for the page after the redirect, within the cell.
    again = placement.applied_for(world.cell, [applied.booked[0].booking.pk], [])
    assert [done.booking.slot_id for done in again.booked] == [pooled.pk]


def test_an_agreement_ended_before_the_application_books_nothing_and_says_why(world: World) -> None:
    now = timezone.now()
    request = waiting(world, urgency="24h")
    doctor = shared(world)
    pooled = make_slot(
        world.other_cell,
        professional=doctor,
        site=make_site(world.other_cell, ARGENTAN),
        starts_at=now + timedelta(hours=2),
    )
    proposal = placement.proposal_build(membership=membership(world), now=now)
    assert proposal.pairings == [(request.pk, pooled.pk)]

    PoolAgreement.objects.filter(professional=doctor).update(status=AgreementStatus.ENDED)
    applied = placement.proposal_apply(
        cell=world.cell, user=world.colleague, pairings=proposal.pairings, allowed=proposal.pairings, now=now
    )
    assert applied.booked == []
    assert [(item.slot.pk, str(item.reason)) for item in applied.not_applied] == [(pooled.pk, str(SLOT_OTHER_CELL))]
    assert not Booking.objects.exists() and Slot.objects.get(pk=pooled.pk).booked == 0
    # The page reads the pairing not applied back, with its reason.
    again = placement.applied_for(world.cell, [], [(request.pk, pooled.pk, str(SLOT_OTHER_CELL))])
    assert [item.slot.pk for item in again.not_applied] == [pooled.pk]
    # And the next proposal no longer counts the slot.
    assert placement.proposal_build(membership=membership(world), now=now).slots == 0


def test_another_cells_site_slot_is_refused_even_if_a_forged_proposal_allowed_it(world: World) -> None:
    request = waiting(world)
    theirs = make_slot(world.other_cell, site=make_site(world.other_cell, ARGENTAN))
    with pytest.raises(DomainError) as refused:
        placement.proposal_apply(
            cell=world.cell,
            user=world.colleague,
            pairings=[(request.pk, theirs.pk)],
            allowed=[(request.pk, theirs.pk)],
            now=timezone.now(),
        )
    assert str(refused.value.message) == str(placement.PAIRING_UNKNOWN)
    assert not Booking.objects.exists()
