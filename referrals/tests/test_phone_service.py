"""The phone intake as a service, without HTTP: the new caller added to the directory, the request recorded and held
by the coordinator who took the call — all of it, or nothing."""

from __future__ import annotations

import pytest

from common.errors import DomainError
from common.identifiers import luhn_key
from conftest import World
from directory.models import Professional
from directory.services import PROFESSIONAL_DUPLICATE_RPPS
from referrals import services
from referrals.models import Channel, Request
from referrals.services.intake import VITAL_EMERGENCY
from referrals.states import Status
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db

RPPS = "1998765432" + luhn_key("1998765432")


def _told(world: World, **more: object) -> Request:
    return services.request_phone_intake(
        cell=world.cell,
        user=world.colleague,
        patient=services.PatientData(
            last_name="Delaunay",
            first_name="Rose",
            commune=world.territory.communes.first(),
            phone="+33612345678",
            mt_situation="no_mt",
        ),
        need=services.NeedData(
            reason="Fièvre depuis deux jours",
            reason_category="fever_infection",
            care_channel="gp",
            urgency="48h",
            elsewhere="er",
        ),
        **more,
    )


def test_a_new_caller_is_added_and_the_request_is_held_by_who_took_the_call(world: World) -> None:
    new = services.NewRequester(last_name="Lemaire", first_name="Inès", profession="pharmacist", identifier=RPPS)
    request = _told(world, new_requester=new)
    added = Professional.objects.get(cell=world.cell, rpps=RPPS)
    assert (added.last_name, added.profession) == ("Lemaire", "pharmacist")
    assert (request.channel, request.requester_professional, request.holder) == (Channel.PHONE, added, world.colleague)
    assert request.status == Status.IN_PROGRESS


def test_a_caller_refused_by_the_directory_records_nothing_and_says_where(world: World) -> None:
    holder = ProfessionalFactory(cell=world.cell, last_name="Lemaire", rpps=RPPS)
    before = (Request.objects.count(), Professional.objects.count())
    with pytest.raises(DomainError) as refused:
        _told(world, new_requester=services.NewRequester(last_name="Lemaire", identifier=RPPS))
    assert refused.value.field == "new_requester_rpps"
    assert str(refused.value.message) == str(PROFESSIONAL_DUPLICATE_RPPS % {"name": holder})
    assert (Request.objects.count(), Professional.objects.count()) == before


def test_a_refused_request_leaves_no_new_caller_in_the_directory(world: World) -> None:
    before = Professional.objects.count()
    with pytest.raises(DomainError) as refused:
        _told(world, new_requester=services.NewRequester(last_name="Lemaire"), vital_emergency=True)
    assert (refused.value.message, refused.value.code) == (VITAL_EMERGENCY, "vital_emergency")
    assert Professional.objects.count() == before and not Request.objects.exists()
