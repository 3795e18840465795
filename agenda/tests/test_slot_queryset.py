"""The slot rules written once (SlotQuerySet, may_book_directly, tier order): what is free, what may be booked on its
own, who may book directly, and the order in which teleconsultants are paired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import RequesterType
from agenda.models import (
    TIER_ORDER,
    UNRANKED_TIER,
    Slot,
    SlotStatus,
    books_directly,
    may_book_directly,
    tier_rank,
)
from conftest import ARGENTAN, World
from directory.models import TeleconsultantTier
from tests.factories import ProfessionalFactory

from .factories import make_site, make_slot, make_teleconsultant

pytestmark = pytest.mark.django_db


def test_free_excludes_past_full_and_cancelled_slots(world: World) -> None:
    now = timezone.now()
    free = make_slot(world.cell, starts_at=now + timedelta(hours=1))
    half_taken = make_slot(world.cell, starts_at=now + timedelta(hours=2), capacity=2)
    Slot.objects.filter(pk=half_taken.pk).update(booked=1)
    full = make_slot(world.cell, starts_at=now + timedelta(hours=3))
    Slot.objects.filter(pk=full.pk).update(booked=1)
    make_slot(world.cell, starts_at=now + timedelta(hours=4), status=SlotStatus.CANCELLED)
    make_slot(world.cell, starts_at=now - timedelta(minutes=5))  # started
    make_slot(world.cell, starts_at=now)  # starting right now: no longer free
    assert list(Slot.objects.free(now)) == [free, half_taken]


def test_is_free_says_of_one_slot_what_free_says_of_many(world: World) -> None:
    now = timezone.now()
    slots = [
        make_slot(world.cell, starts_at=now + timedelta(hours=1)),
        make_slot(world.cell, starts_at=now + timedelta(hours=2), status=SlotStatus.CANCELLED),
        make_slot(world.cell, starts_at=now - timedelta(hours=1)),
        make_slot(world.cell, starts_at=now + timedelta(hours=3)),
    ]
    Slot.objects.filter(pk=slots[3].pk).update(booked=1)
    read = list(Slot.objects.order_by("pk"))
    assert [slot.is_free(now) for slot in read] == [True, False, False, False]
    assert {slot.pk for slot in read if slot.is_free(now)} == set(Slot.objects.free(now).values_list("pk", flat=True))


def test_with_place_left_keeps_started_slots_but_not_full_or_cancelled_ones(world: World) -> None:
    now = timezone.now()
    started = make_slot(world.cell, starts_at=now - timedelta(minutes=10))
    full = make_slot(world.cell)
    Slot.objects.filter(pk=full.pk).update(booked=1)
    make_slot(world.cell, status=SlotStatus.CANCELLED)
    assert list(Slot.objects.with_place_left()) == [started]


def test_bookable_leaves_out_a_teleconsultants_own_time_only(world: World) -> None:
    spot_site = make_site(world.cell, ARGENTAN, kind="telemedicine_spot")
    doctor = make_teleconsultant(world.cell, TeleconsultantTier.LOCAL)
    in_person = make_slot(world.cell)
    spot_time = make_slot(world.cell, site=spot_site, modality="assisted_teleconsultation")
    make_slot(world.cell, professional=doctor, modality="assisted_teleconsultation")  # the doctor's own time
    assert set(Slot.objects.bookable()) == {in_person, spot_time}


@pytest.mark.parametrize(
    ("requester_type", "flag"),
    [
        (RequesterType.PHARMACIST, "open_to_pharmacists"),
        (RequesterType.SAS_REGULATOR, "open_to_sas"),
        (RequesterType.EMERGENCY, "open_to_er"),
        (RequesterType.GP, "open_to_gps"),
    ],
)
def test_open_to_gives_the_slots_whose_flag_for_that_kind_is_set(world: World, requester_type: str, flag: str) -> None:
    flags = ["open_to_pharmacists", "open_to_sas", "open_to_er", "open_to_gps"]
    by_flag = {name: make_slot(world.cell, **{name: True}) for name in flags}
    make_slot(world.cell)  # open to nobody: coordinators only
    assert list(Slot.objects.open_to(requester_type)) == [by_flag[flag]]
    assert books_directly(requester_type)
    assert [name for name, slot in by_flag.items() if may_book_directly(requester_type, slot)] == [flag]


@pytest.mark.parametrize("requester_type", [RequesterType.NURSE, RequesterType.MIDWIFE, RequesterType.SOS_MEDECINS, ""])
def test_open_to_gives_nothing_to_a_kind_with_no_audience_flag(world: World, requester_type: str) -> None:
    everyone = make_slot(world.cell, open_to_pharmacists=True, open_to_sas=True, open_to_er=True, open_to_gps=True)
    assert not Slot.objects.open_to(requester_type).exists()
    assert not books_directly(requester_type)
    assert not may_book_directly(requester_type, everyone)


def test_teleconsultant_times_are_the_doctors_own_open_times_with_a_place_left(world: World) -> None:
    spot_site = make_site(world.cell, ARGENTAN, kind="telemedicine_spot")
    doctor = make_teleconsultant(world.cell, TeleconsultantTier.LOCAL)
    own = make_slot(world.cell, professional=doctor, modality="assisted_teleconsultation")
    taken = make_slot(world.cell, professional=doctor, modality="assisted_teleconsultation")
    Slot.objects.filter(pk=taken.pk).update(booked=1)
    make_slot(world.cell, professional=doctor, modality="assisted_teleconsultation", status=SlotStatus.CANCELLED)
    make_slot(world.cell, site=spot_site, modality="assisted_teleconsultation")  # the spot's time
    make_slot(world.cell, professional=doctor)  # an in-person slot of the same doctor
    assert list(Slot.objects.teleconsultant_times()) == [own]


def test_in_tier_order_local_then_regional_then_extra_territorial_then_no_tier_earliest_first(world: World) -> None:
    now = timezone.now()

    def doctor_time(tier: str, hours: int) -> Slot:
        doctor = ProfessionalFactory(cell=world.cell, teleconsultant_tier=tier)
        return make_slot(
            world.cell,
            professional=doctor,
            modality="assisted_teleconsultation",
            starts_at=now + timedelta(hours=hours),
        )

    extra = doctor_time(TeleconsultantTier.EXTRA_TERRITORIAL, 1)
    untiered = doctor_time("", 1)
    regional_late = doctor_time(TeleconsultantTier.REGIONAL, 3)
    regional_early = doctor_time(TeleconsultantTier.REGIONAL, 2)
    local = doctor_time(TeleconsultantTier.LOCAL, 4)
    ordered = list(Slot.objects.teleconsultant_times().in_tier_order())
    assert ordered == [local, regional_early, regional_late, extra, untiered]
    assert [slot.tier_rank for slot in ordered] == [0, 1, 1, 2, UNRANKED_TIER]


def test_tier_rank_in_python_agrees_with_the_sql_order() -> None:
    assert sorted([*TeleconsultantTier.values, "", "unknown"], key=tier_rank) == [
        TeleconsultantTier.LOCAL,
        TeleconsultantTier.REGIONAL,
        TeleconsultantTier.EXTRA_TERRITORIAL,
        "",
        "unknown",
    ]
    assert set(TIER_ORDER) == set(TeleconsultantTier.values)
