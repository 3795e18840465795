from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from agenda import services
from agenda.models import Slot
from agenda.tests.factories import make_practitioner
from common.errors import DomainError
from conftest import World
from tests.factories import MembershipFactory, ProfessionalFactory, SiteFactory

pytestmark = pytest.mark.django_db


def publish(world: World, professional, **overrides):
    values = {
        "cell": world.cell,
        "professional": professional,
        "site": None,
        "day": date(2030, 3, 4),
        "start": time(18, 0),
        "end": time(19, 0),
        "minutes": 20,
        "care_channel": "gp",
        "modality": "in_person",
    }
    values.update(overrides)
    return services.slots_publish(**values)


def test_an_evening_is_cut_into_slots_in_paris_time(world: World) -> None:
    slots = publish(world, make_practitioner(world.cell))
    assert [timezone.localtime(s.starts_at).strftime("%H:%M") for s in slots] == ["18:00", "18:20", "18:40"]


@pytest.mark.parametrize(
    "day, hour_utc",
    [(date(2026, 3, 28), 17), (date(2026, 3, 30), 16), (date(2026, 10, 24), 16), (date(2026, 10, 26), 17)],
)
def test_wall_clock_times_hold_across_both_clock_changes(world: World, day: date, hour_utc: int) -> None:
    slots = publish(world, make_practitioner(world.cell), day=day, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert slots[0].starts_at.astimezone(UTC).hour == hour_utc  # 18:00 in Paris, winter or summer


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"end": time(17, 0)}, "end"),
        ({"day": date(2020, 1, 1)}, "day"),
        ({"minutes": 2}, "minutes"),
        ({"care_channel": "imaging"}, "exam_type"),
    ],
)
def test_bad_publications_are_refused_on_their_field(world: World, overrides, field) -> None:
    with pytest.raises(DomainError) as raised:
        publish(world, make_practitioner(world.cell), **overrides)
    assert raised.value.field == field
    assert not Slot.objects.exists()


def test_overlapping_slots_of_one_professional_are_refused(world: World) -> None:
    gp = make_practitioner(world.cell)
    publish(world, gp)
    with pytest.raises(DomainError) as raised:
        publish(world, gp, start=time(18, 30), end=time(19, 30))
    assert raised.value.field == "start"
    assert Slot.objects.count() == 3


def test_an_effector_publishes_only_their_own_slots(world: World) -> None:
    gp = ProfessionalFactory(cell=world.cell)
    gp.sites.add(SiteFactory(cell=world.cell))
    someone_else = make_practitioner(world.cell)
    effector = MembershipFactory(cell=world.cell, role=Role.EFFECTOR, professional=gp).user
    client = world.client_for(effector)
    url = reverse("agenda:publish", kwargs={"cell": world.cell.slug})
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    body = {
        "professional": someone_else.pk,
        "day": day,
        "start": "18:00",
        "end": "18:40",
        "minutes": "20",
        "care_channel": "gp",
        "exam_type": "",
        "modality": "in_person",
        "capacity": "1",
    }
    refused = client.post(url, body)
    assert refused.status_code == 200 and "professional" in refused.context["form"].errors
    assert client.post(url, body | {"professional": gp.pk}).status_code == 302
    assert set(Slot.objects.values_list("professional", flat=True)) == {gp.pk}


def test_an_in_person_slot_takes_place_at_a_site(world: World) -> None:
    """The patient's SMS gives the address: an in-person slot without a site takes the professional's only site,
    and is refused when they have none or several (issue 19: an SMS without an address)."""
    nowhere = ProfessionalFactory(cell=world.cell)
    with pytest.raises(DomainError) as raised:
        publish(world, nowhere)
    assert raised.value.message == services.SLOT_SITE_REQUIRED and not Slot.objects.exists()
    practitioner = make_practitioner(world.cell)
    slots = publish(world, practitioner)
    assert {slot.site for slot in slots} == set(practitioner.sites.all())
    practitioner.sites.add(SiteFactory(cell=world.cell))
    with pytest.raises(DomainError) as raised:
        publish(world, practitioner, day=date(2030, 3, 5))
    assert raised.value.message == services.SLOT_SITE_REQUIRED
    assert len(publish(world, nowhere, modality="assisted_teleconsultation", day=date(2030, 3, 6))) == 3
