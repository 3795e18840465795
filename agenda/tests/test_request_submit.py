"""A request sent with the slot its requester chose (agenda.services.request_submit), without HTTP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from agenda import services
from agenda.models import Booking, Slot
from common.errors import DomainError
from conftest import World
from referrals import services as referrals
from referrals.models import Channel, Request
from referrals.states import Status
from tests.factories import MembershipFactory, ProfessionalFactory

from .factories import make_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def pharmacist(world: World):
    professional = ProfessionalFactory(cell=world.cell, profession="pharmacist", last_name="Pharmacienne")
    return MembershipFactory(
        cell=world.cell, role=Role.REQUESTER, requester_type="pharmacist", professional=professional
    )


def _submit(world: World, member, *, slot: Slot | None, key: str, last_name: str = "Direct") -> Request:
    return services.request_submit(
        cell=world.cell,
        channel=Channel.WEB,
        patient=referrals.PatientData(
            last_name=last_name,
            first_name="Élise",
            commune=world.territory.communes.first(),
            phone="+33610203040",
            mt_situation="no_mt",
        ),
        need=referrals.NeedData(
            reason="Angine", reason_category="pain", care_channel="gp", urgency="48h", elsewhere="er"
        ),
        submitted_by=member.user,
        requester_professional=member.professional,
        requester_type=member.requester_type,
        slot_id=slot.pk if slot is not None else None,
        submission_key=key,
    )


def test_a_request_sent_with_a_slot_is_recorded_and_booked_together(world: World, pharmacist) -> None:
    slot = make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=5), open_to_pharmacists=True)
    created = _submit(world, pharmacist, slot=slot, key="with-slot")
    created.refresh_from_db()
    booking = Booking.objects.get()
    assert (booking.request, booking.slot, booking.booked_by) == (created, slot, pharmacist.user)
    assert created.status == Status.ORIENTED
    assert created.requester_professional == pharmacist.professional
    slot.refresh_from_db()
    assert slot.booked == 1


def test_a_request_sent_without_a_slot_is_recorded_unbooked(world: World, pharmacist) -> None:
    created = _submit(world, pharmacist, slot=None, key="no-slot")
    created.refresh_from_db()
    assert created.status == Status.RECEIVED
    assert not Booking.objects.exists()


def test_a_slot_taken_meanwhile_refuses_the_whole_submission(world: World, pharmacist) -> None:
    slot = make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=5), open_to_pharmacists=True)
    first = _submit(world, pharmacist, slot=slot, key="first", last_name="Premier")
    with pytest.raises(DomainError) as raised:
        _submit(world, pharmacist, slot=slot, key="second", last_name="Second")
    assert raised.value.code == "taken"
    assert raised.value.message == services.SLOT_JUST_TAKEN
    assert list(Request.objects.all()) == [first]
    assert Booking.objects.count() == 1


def test_a_slot_not_open_to_the_requester_refuses_the_whole_submission(world: World, pharmacist) -> None:
    closed = make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=5))
    with pytest.raises(DomainError) as raised:
        _submit(world, pharmacist, slot=closed, key="closed")
    assert raised.value.message == services.SLOT_NOT_FOR_YOU
    assert not Request.objects.exists()
    assert not Booking.objects.exists()
