"""Slots and plans open to named professionals or sites (decision 0017, seed 004's imaging experiment): copied from
the plan to its slots and renewed with it, the requester's list of slots and their direct booking, the form, the
calendar, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from accounts.models import Membership, Role
from agenda import selectors, services
from agenda.models import AvailabilityPlan, Booking, Slot, may_book_directly
from agenda.tests.factories import make_practitioner, make_slot
from common.errors import DomainError
from conftest import World
from directory.models import Professional, Site
from referrals import services as referrals
from referrals.models import Channel, Request
from referrals.tests.factories import make_request
from tests.factories import MembershipFactory, ProfessionalFactory, SiteFactory

pytestmark = pytest.mark.django_db

IMAGING = {"care_channel": "imaging", "exam_type": "radiography"}


def requester(world: World, kind: str, *, professional: Professional | None = None, site: Site | None = None) -> Any:
    if professional is None and site is None:
        professional = ProfessionalFactory(cell=world.cell, profession=kind if kind != "sas_regulator" else "gp")
    return MembershipFactory(
        cell=world.cell, role=Role.REQUESTER, requester_type=kind, professional=professional, site=site
    )


def open_to(member: Membership, now: datetime | None = None) -> list[Slot]:
    return selectors.slots_open_to(
        member.cell,
        member.requester_type,
        now or timezone.now(),
        professional_id=member.professional_id,
        site_id=member.site_id,
    )


def plan_fields(radiologist: Professional, **overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    fields: dict[str, Any] = {
        "professional": radiologist,
        "site": radiologist.sites.first(),
        "weekdays": [0, 1, 2, 3, 4],
        "start_time": time(14, 0),
        "end_time": time(15, 0),
        "minutes": 20,
        "first_day": today + timedelta(days=1),
        "last_day": today + timedelta(days=20),
        "modality": "in_person",
        **IMAGING,
    }
    fields.update(overrides)
    return fields


def named_of(slot: Slot) -> tuple[frozenset[int], frozenset[int]]:
    return (
        frozenset(slot.open_to_professionals.values_list("pk", flat=True)),
        frozenset(slot.open_to_sites.values_list("pk", flat=True)),
    )


# The plan's lists, copied and renewed


def test_a_plans_named_lists_are_copied_to_every_slot_it_generates(world: World) -> None:
    radiologist = make_practitioner(world.cell, profession="specialist")
    gp_in, pharmacy = ProfessionalFactory(cell=world.cell), SiteFactory(cell=world.cell, kind="pharmacy")
    result = services.plan_save(
        cell=world.cell, **plan_fields(radiologist), open_to_professionals=[gp_in], open_to_sites=[pharmacy]
    )
    slots = list(Slot.objects.filter(plan=result.plan))
    assert result.created == len(slots) >= 3 * 5  # three slots a weekday over about three weeks
    assert {named_of(slot) == ({gp_in.pk}, {pharmacy.pk}) for slot in slots} == {True}
    assert not any(slot.open_to_gps for slot in slots)  # named GPs, not every GP


def test_changing_the_plans_list_renames_its_free_slots_to_come_and_spares_the_booked_one(world: World) -> None:
    radiologist = make_practitioner(world.cell, profession="specialist")
    first_gp, second_gp = ProfessionalFactory(cell=world.cell), ProfessionalFactory(cell=world.cell)
    plan = services.plan_save(cell=world.cell, **plan_fields(radiologist), open_to_professionals=[first_gp]).plan
    booked = Slot.objects.filter(plan=plan).order_by("starts_at").first()
    assert booked is not None
    services.slot_book(slot=booked, request=make_request(world.cell, **IMAGING), user=world.colleague)
    result = services.plan_save(
        cell=world.cell, plan=plan, **plan_fields(radiologist), open_to_professionals=[second_gp]
    )
    assert [slot.pk for slot in result.spared] == [booked.pk]
    assert named_of(booked) == ({first_gp.pk}, set())  # booked: kept as it was, as every plan edit keeps it
    renewed = Slot.objects.filter(plan=plan, status="open").exclude(pk=booked.pk)
    assert renewed.exists()
    assert {named_of(slot) for slot in renewed} == {(frozenset({second_gp.pk}), frozenset())}
    assert list(AvailabilityPlan.objects.get().open_to_professionals.all()) == [second_gp]


def test_a_plan_saved_without_lists_keeps_its_own(world: World) -> None:
    """Tours and spots save their plans without the lists: a save does not empty them."""
    radiologist = make_practitioner(world.cell, profession="specialist")
    gp_in = ProfessionalFactory(cell=world.cell)
    plan = services.plan_save(cell=world.cell, **plan_fields(radiologist), open_to_professionals=[gp_in]).plan
    services.plan_save(cell=world.cell, plan=plan, **plan_fields(radiologist, end_time=time(16, 0)))
    later = Slot.objects.filter(plan=plan, status="open").order_by("-starts_at").first()
    assert later is not None and named_of(later) == ({gp_in.pk}, set())


def test_one_off_slots_are_published_with_their_named_lists(world: World) -> None:
    radiologist = make_practitioner(world.cell, profession="specialist")
    pharmacy = SiteFactory(cell=world.cell, kind="pharmacy")
    created = services.slots_publish(
        cell=world.cell,
        professional=radiologist,
        site=None,
        day=timezone.localdate() + timedelta(days=2),
        start=time(9, 0),
        end=time(10, 0),
        minutes=30,
        modality="in_person",
        open_to_sites=[pharmacy],
        **IMAGING,
    )
    assert len(created) == 2 and {named_of(slot) for slot in created} == {(frozenset(), frozenset({pharmacy.pk}))}


def test_a_professional_or_site_of_another_cell_is_refused_and_nothing_is_saved(world: World) -> None:
    radiologist = make_practitioner(world.cell, profession="specialist")
    stranger = ProfessionalFactory(cell=world.other_cell)
    with pytest.raises(DomainError) as raised:
        services.plan_save(cell=world.cell, **plan_fields(radiologist), open_to_professionals=[stranger])
    assert (raised.value.message, raised.value.field) == (services.NAMED_OF_OTHER_CELL, "open_to_professionals")
    with pytest.raises(DomainError) as raised:
        services.slots_publish(
            cell=world.cell,
            professional=radiologist,
            site=None,
            day=timezone.localdate() + timedelta(days=2),
            start=time(9, 0),
            end=time(10, 0),
            minutes=30,
            modality="in_person",
            open_to_sites=[SiteFactory(cell=world.other_cell)],
            **IMAGING,
        )
    assert (raised.value.message, raised.value.field) == (services.NAMED_OF_OTHER_CELL, "open_to_sites")
    assert not AvailabilityPlan.objects.exists() and not Slot.objects.exists()


def test_a_plan_open_to_nobody_is_for_the_cells_coordinators_only(world: World) -> None:
    """The rule before named lists holds: no kind and no name is allowed, and only the cell's coordinators book."""
    radiologist = make_practitioner(world.cell, profession="specialist")
    plan = services.plan_save(cell=world.cell, **plan_fields(radiologist)).plan
    slot = Slot.objects.filter(plan=plan).order_by("starts_at").first()
    assert slot is not None
    gp_member = requester(world, "gp")
    assert open_to(gp_member) == []
    assert not may_book_directly("gp", slot, professional_id=gp_member.professional_id)
    booking = services.slot_book(slot=slot, request=make_request(world.cell, **IMAGING), user=world.colleague)
    assert booking.slot == slot


# Who sees the slots and may book them


def test_only_the_named_gp_is_offered_the_imaging_slot_in_two_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    """Two reads whatever the number of slots: those open to GPs (their kind's index), those naming this GP."""
    gp_in, gp_out = requester(world, "gp"), requester(world, "gp")
    named = make_slot(world.cell, **IMAGING)
    named.open_to_professionals.add(gp_in.professional)
    for _ in range(5):  # other slots, named to someone else or to nobody: still two queries
        make_slot(world.cell, **IMAGING).open_to_professionals.add(ProfessionalFactory(cell=world.cell))
    with django_assert_num_queries(2):
        assert open_to(gp_in) == [named]
    with django_assert_num_queries(2):
        assert open_to(gp_out) == []


def test_the_soonest_slots_of_both_reads_come_first_each_once_and_no_more_than_asked(world: World) -> None:
    gp = requester(world, "gp")
    soon = timezone.now() + timedelta(hours=1)
    by_kind = [make_slot(world.cell, starts_at=soon + timedelta(hours=2 * n), open_to_gps=True) for n in range(3)]
    by_name = [make_slot(world.cell, starts_at=soon + timedelta(hours=2 * n + 1)) for n in range(3)]
    both = make_slot(world.cell, starts_at=soon - timedelta(minutes=30), open_to_gps=True)
    for slot in [*by_name, both]:
        slot.open_to_professionals.add(gp.professional)
    expected = [both, by_kind[0], by_name[0], by_kind[1], by_name[1]]
    assert selectors.slots_open_to(world.cell, "gp", timezone.now(), limit=5, professional_id=gp.professional_id) == (
        expected
    )


def test_the_kind_or_a_name_opens_a_slot_and_a_slot_named_twice_is_listed_once(world: World) -> None:
    pharmacy, other_pharmacy = SiteFactory(cell=world.cell, kind="pharmacy"), SiteFactory(cell=world.cell)
    ours = requester(world, "pharmacist", professional=ProfessionalFactory(cell=world.cell), site=pharmacy)
    theirs = requester(world, "pharmacist", site=other_pharmacy)
    by_kind = make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=2), open_to_pharmacists=True)
    by_name = make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=3))
    by_name.open_to_sites.add(pharmacy)
    by_name.open_to_professionals.add(ours.professional)
    assert open_to(ours) == [by_kind, by_name]
    assert open_to(theirs) == [by_kind]


def test_a_requester_of_a_kind_that_never_books_directly_may_when_named(
    world: World, django_assert_num_queries: Any
) -> None:
    nurse = requester(world, "nurse")
    slot = make_slot(world.cell, care_channel="nursing")
    slot.open_to_professionals.add(nurse.professional)
    assert open_to(nurse) == [slot]
    with django_assert_num_queries(0):  # nobody to look for: no query
        assert selectors.slots_open_to(world.cell, "nurse", timezone.now()) == []


def test_named_lists_never_open_a_slot_to_the_whole_kind(world: World) -> None:
    """The SAS platform's search asks by kind only: a slot named to a regulator's site is not open to the SAS."""
    sas = SiteFactory(cell=world.cell, kind="sas")
    slot = make_slot(world.cell)
    slot.open_to_sites.add(sas)
    assert not Slot.objects.open_to("sas_regulator").exists()
    assert list(Slot.objects.open_to("sas_regulator", site_id=sas.pk)) == [slot]


def test_may_book_directly_asks_the_lists_only_when_the_kind_does_not_allow(
    world: World, django_assert_num_queries: Any
) -> None:
    gp_in = ProfessionalFactory(cell=world.cell)
    named = make_slot(world.cell, **IMAGING)
    named.open_to_professionals.add(gp_in)
    everyone = make_slot(world.cell, open_to_gps=True, **IMAGING)
    with django_assert_num_queries(0):
        assert may_book_directly("gp", everyone, professional_id=gp_in.pk)
    with django_assert_num_queries(1):
        assert may_book_directly("gp", named, professional_id=gp_in.pk)
    assert not may_book_directly("gp", named, professional_id=ProfessionalFactory(cell=world.cell).pk)
    assert not may_book_directly("gp", named)


def _submit(world: World, member: Membership, slot: Slot, key: str) -> Request:
    return services.request_submit(
        cell=world.cell,
        channel=Channel.WEB,
        patient=referrals.PatientData(
            last_name=f"Patient{key}",
            first_name="Élise",
            commune=world.territory.communes.first(),
            phone="+33610203040",
            mt_situation="no_mt",
        ),
        need=referrals.NeedData(reason="Entorse", reason_category="trauma", urgency="48h", elsewhere="er", **IMAGING),
        submitted_by=member.user,
        requester_professional=member.professional,
        requester_site=member.site,
        requester_type=member.requester_type,
        slot_id=slot.pk,
        submission_key=key,
    )


def test_the_named_gp_books_the_imaging_slot_and_another_gp_is_refused(world: World) -> None:
    gp_in, gp_out = requester(world, "gp"), requester(world, "gp")
    slot = make_slot(world.cell, capacity=2, **IMAGING)
    slot.open_to_professionals.add(gp_in.professional)
    with pytest.raises(DomainError) as raised:
        _submit(world, gp_out, slot, "out")
    assert raised.value.message == services.SLOT_NOT_FOR_YOU
    assert not Request.objects.exists() and not Booking.objects.exists()
    created = _submit(world, gp_in, slot, "in")
    assert Booking.objects.get().request == created
    slot.refresh_from_db()
    assert slot.booked == 1


# Pages


def plan_body(radiologist: Professional, **overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "professional": radiologist.pk,
        "weekdays": ["0", "3"],
        "start_time": "14:00",
        "end_time": "15:00",
        "minutes": "20",
        "first_day": today.isoformat(),
        "last_day": (today + timedelta(days=30)).isoformat(),
        "care_channel": "imaging",
        "exam_type": "radiography",
        "modality": "in_person",
        "capacity": "1",
        **overrides,
    }


def test_a_coordinator_opens_a_plan_to_named_gps_and_the_list_of_plans_names_them(world: World) -> None:
    radiologist = make_practitioner(world.cell, profession="specialist")
    gp_in = ProfessionalFactory(cell=world.cell, first_name="Jeanne", last_name="Expérience")
    pharmacy = SiteFactory(cell=world.cell, name="Pharmacie du Pont", kind="pharmacy")
    client = world.client_for(world.colleague)
    url = reverse("agenda:plan_create", kwargs={"cell": world.cell.slug})
    form = client.get(url).context["form"]
    assert gp_in in form.fields["open_to_professionals"].queryset
    assert pharmacy in form.fields["open_to_sites"].queryset
    response = client.post(url, plan_body(radiologist, open_to_professionals=[gp_in.pk], open_to_sites=[pharmacy.pk]))
    assert response.status_code == 302
    plan = AvailabilityPlan.objects.get()
    assert (list(plan.open_to_professionals.all()), list(plan.open_to_sites.all())) == ([gp_in], [pharmacy])
    with override("en"):
        listing = client.get(reverse("agenda:plans", kwargs={"cell": world.cell.slug}), HTTP_ACCEPT_LANGUAGE="en")
    page = listing.content.decode()
    assert "Jeanne EXPÉRIENCE, Pharmacie du Pont" in page
    edit = client.get(reverse("agenda:plan_update", kwargs={"cell": world.cell.slug, "pk": plan.pk}))
    assert edit.context["form"].initial["open_to_professionals"] == [gp_in.pk]


def test_a_posted_professional_of_another_cell_is_a_field_error_and_nothing_is_saved(world: World) -> None:
    radiologist = make_practitioner(world.cell, profession="specialist")
    stranger = ProfessionalFactory(cell=world.other_cell)
    client = world.client_for(world.colleague)
    url = reverse("agenda:plan_create", kwargs={"cell": world.cell.slug})
    response = client.post(url, plan_body(radiologist, open_to_professionals=[stranger.pk]))
    assert response.status_code == 200
    assert response.context["form"].errors["open_to_professionals"]
    assert not AvailabilityPlan.objects.exists() and not Slot.objects.exists()


def test_an_effector_names_gps_of_the_cell_on_their_own_plan(world: World) -> None:
    radiologist = make_practitioner(world.cell, profession="specialist")
    member = MembershipFactory(cell=world.cell, role=Role.EFFECTOR, professional=radiologist)
    gp_in = ProfessionalFactory(cell=world.cell)
    client = world.client_for(member.user)
    url = reverse("agenda:plan_create", kwargs={"cell": world.cell.slug})
    assert client.post(url, plan_body(radiologist, open_to_professionals=[gp_in.pk])).status_code == 302
    assert list(AvailabilityPlan.objects.get(professional=radiologist).open_to_professionals.all()) == [gp_in]


def test_the_calendar_says_whom_a_slot_is_open_to_by_name_at_the_same_cost(
    world: World, django_assert_max_num_queries: Any
) -> None:
    now = datetime.now(UTC)
    params = {"start": f"{now:%Y-%m-%d}T00:00:00Z", "end": f"{(now + timedelta(days=7)):%Y-%m-%d}T00:00:00Z"}
    client = world.client_for(world.colleague)
    url = reverse("agenda:calendar_events", kwargs={"cell": world.cell.slug})
    pharmacy = SiteFactory(cell=world.cell, name="Pharmacie du Pont")

    def add(count: int) -> None:
        for i in range(count):
            slot = make_slot(world.cell, starts_at=now + timedelta(hours=2, minutes=30 * i))
            slot.open_to_professionals.add(ProfessionalFactory(cell=world.cell, first_name="Paul", last_name=f"Nom{i}"))
            slot.open_to_sites.add(pharmacy)

    add(2)
    with CaptureQueriesContext(connection) as few, override("en"):
        first = client.get(url, params).json()
    assert [event["extendedProps"]["openTo"] for event in first] == [
        str(selectors.OPEN_TO_NAMED % {"names": "Paul NOM0, Pharmacie du Pont"}),
        str(selectors.OPEN_TO_NAMED % {"names": "Paul NOM1, Pharmacie du Pont"}),
    ]
    add(10)
    with django_assert_max_num_queries(len(few)):
        assert len(client.get(url, params).json()) == 12


def test_a_named_nurse_is_offered_the_slot_on_the_request_form(world: World) -> None:
    nurse = requester(world, "nurse")
    slot = make_slot(world.cell, care_channel="nursing")
    client = world.client_for(nurse.user)
    url = reverse("referrals:request_new", kwargs={"cell": world.cell.slug})
    assert "slot" not in client.get(url).context["form"].fields  # named nowhere: no slot to choose
    slot.open_to_professionals.add(nurse.professional)
    form = client.get(url).context["form"]
    assert [value for value, _label in form.fields["slot"].choices] == ["", str(slot.pk)]
