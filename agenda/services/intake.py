"""A request sent with the slot its requester chose, in one step: the web form (seed 004: the pharmacist books a GP's
SNP slot, the GP an imaging slot) and the API both submit through here."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from directory.models import Professional, Site
from referrals import services as referrals
from referrals.models import Request
from territory.models import Cell

from ..selectors import slot_for
from .booking import slot_book


def request_submit(
    *,
    cell: Cell,
    channel: str,
    patient: referrals.PatientData,
    need: referrals.NeedData,
    submitted_by: User,
    requester_professional: Professional | None = None,
    requester_site: Site | None = None,
    requester_type: str = "",
    slot_id: int | None = None,
    vital_emergency: bool = False,
    submission_key: str = "",
) -> Request:
    """Record the request and, when a slot was chosen, book it for the request: both, or neither (a slot taken
    meanwhile refuses the whole submission, with the booking's reason). A requester (`requester_type`) books only the
    slots open to their kind (`slot_book`)."""
    with transaction.atomic():
        created = referrals.request_create(
            cell=cell,
            channel=channel,
            patient=patient,
            need=need,
            submitted_by=submitted_by,
            requester_professional=requester_professional,
            requester_site=requester_site,
            vital_emergency=vital_emergency,
            submission_key=submission_key,
        )
        if slot_id is not None:
            slot_book(
                slot=slot_for(cell, slot_id),
                request=created,
                user=submitted_by,
                requester_type=requester_type,
            )
    return created
