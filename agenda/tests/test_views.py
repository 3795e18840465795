from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from agenda.models import Booking
from conftest import World
from referrals.models import Request
from referrals.states import Status
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, SiteFactory

from .factories import make_slot

pytestmark = pytest.mark.django_db


def test_the_request_page_lists_free_slots_before_the_deadline_first_then_nearest(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell, urgency="24h")
    # Tomorrow's slots (the finder ranks day by day: slots a few hours from now could fall on two days).
    tomorrow = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), time(8)))
    Request.objects.filter(pk=request.pk).update(deadline_at=tomorrow + timedelta(hours=12))
    near = SiteFactory(cell=world.cell, name="Cabinet proche", commune=world.territory.communes.get(insee_code="61006"))
    far = SiteFactory(cell=world.cell, name="Cabinet loin", commune=world.territory.communes.get(insee_code="61214"))
    late = make_slot(world.cell, site=near, starts_at=tomorrow + timedelta(hours=13))
    far_soon = make_slot(world.cell, site=far, starts_at=tomorrow + timedelta(hours=2))
    near_soon = make_slot(world.cell, site=near, starts_at=tomorrow + timedelta(hours=3))
    make_slot(world.cell, site=near, care_channel="physiotherapy")
    page = world.client_for(world.colleague).get(  # the finder's panel, as the page asks for it once shown (htmx)
        reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk}),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="slot-finder",
    )
    order = [c.slot for c in page.context["candidates"]]
    assert order == [near_soon, far_soon, late]
    assert page.context["candidates"][2].before_deadline is False


def test_booking_from_the_page_then_recording_the_outcome(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell)
    slot = make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=2))
    client = world.client_for(world.colleague)
    response = client.post(
        reverse("agenda:book", kwargs={"cell": world.cell.slug, "pk": request.pk, "slot_pk": slot.pk}), follow=True
    )
    request.refresh_from_db()
    assert request.status == Status.ORIENTED
    assert "Rendez-vous réservé" in response.content.decode()
    again = client.post(
        reverse("agenda:book", kwargs={"cell": world.cell.slug, "pk": request.pk, "slot_pk": slot.pk}), follow=True
    )
    assert "ne peut pas être orientée" in again.content.decode()
    booking = Booking.objects.get()
    early = client.post(
        reverse("agenda:booking_outcome", kwargs={"cell": world.cell.slug, "pk": booking.pk}),
        {"outcome": "seen"},
        follow=True,
    )
    assert "une fois le rendez-vous commencé" in early.content.decode()
    cancel = client.post(
        reverse("agenda:booking_cancel", kwargs={"cell": world.cell.slug, "pk": booking.pk}),
        {"reason": "Patient guéri", "confirm": "on"},
    )
    assert cancel.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.APPOINTMENT_CANCELLED


def test_a_pharmacist_books_a_gp_slot_directly_with_the_request(world: World) -> None:
    from accounts.models import Role
    from tests.factories import MembershipFactory

    pharmacist = ProfessionalFactory(cell=world.cell, profession="pharmacist")
    member = MembershipFactory(
        cell=world.cell, role=Role.REQUESTER, requester_type="pharmacist", professional=pharmacist
    )
    closed = make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=4))
    open_slot = make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=5), open_to_pharmacists=True)
    client = world.client_for(member.user)
    url = reverse("referrals:request_new", kwargs={"cell": world.cell.slug})
    form = client.get(url).context["form"]
    assert [value for value, _ in form.fields["slot"].choices] == ["", str(open_slot.pk)]
    body = {
        "patient_last_name": "Direct",
        "patient_first_name": "Élise",
        "patient_commune": "Argentan (61200) · 61006",
        "patient_phone": "06 10 20 30 40",
        "mt_situation": "no_mt",
        "reason": "Angine",
        "reason_category": "pain",
        "care_channel": "gp",
        "urgency": "48h",
        "elsewhere": "er",
        "submission_key": "direct-1",
        "slot": str(open_slot.pk),
    }
    assert client.post(url, body).status_code == 302
    booking = Booking.objects.get()
    assert (booking.slot, booking.request.status) == (open_slot, Status.ORIENTED)
    refused = client.post(url, body | {"submission_key": "direct-2", "slot": str(closed.pk)})
    assert refused.status_code == 200  # not a choice offered to pharmacists
    assert Booking.objects.count() == 1
