"""The phone intake: a professional tells a request on the professionals-only number, and the coordinator who takes
the call types it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.models import User
from common.errors import DomainError
from common.identifiers import rpps_or_adeli
from directory import services as directory
from directory.models import Profession, Professional, Site
from territory.models import Cell

from ..models import Channel, Request, Tag
from .handling import request_take
from .intake import NeedData, PatientData, request_create
from .tags import request_tags_set

NEW_REQUESTER_FIELDS = {"rpps": "new_requester_rpps", "adeli": "new_requester_rpps"}


@dataclass(frozen=True)
class NewRequester:
    """A caller missing from the directory, added as the request is recorded: their RPPS or ADELI (told apart by
    length) and their phone are optional."""

    last_name: str
    first_name: str = ""
    profession: str = ""
    identifier: str = ""
    phone: str = ""


def _requester_added(cell: Cell, new: NewRequester) -> Professional:
    """Into the directory; a refusal lands on the phone form's new-requester fields."""
    identifier = new.identifier.replace(" ", "")
    fields: dict[str, Any] = {rpps_or_adeli(identifier): identifier}
    try:
        return directory.professional_save(
            cell=cell,
            last_name=new.last_name,
            first_name=new.first_name,
            profession=new.profession or Profession.OTHER,
            phone=new.phone,
            **fields,
        )
    except DomainError as error:
        field = NEW_REQUESTER_FIELDS.get(error.field or "", "new_requester_last_name")
        raise DomainError(error.message, field=field, code=error.code) from error


@transaction.atomic
def request_phone_intake(
    *,
    cell: Cell,
    user: User,
    patient: PatientData,
    need: NeedData,
    requester_professional: Professional | None = None,
    requester_site: Site | None = None,
    new_requester: NewRequester | None = None,
    vital_emergency: bool = False,
    submission_key: str = "",
    tags: Sequence[Tag] = (),
) -> Request:
    """Record the request told by phone: the caller added to the directory when they are new (and no site was
    named), the request received, and held at once by the coordinator who took the call, so that no colleague calls
    the same patient, with the cell's tags the coordinator ticked — all of it, or nothing. The same form sent again
    (its key) gives back the first request, left to whoever holds or closed it meanwhile."""
    if requester_professional is None and requester_site is None and new_requester and new_requester.last_name.strip():
        requester_professional = _requester_added(cell, new_requester)
    created = request_create(
        cell=cell,
        channel=Channel.PHONE,
        patient=patient,
        need=need,
        submitted_by=user,
        requester_professional=requester_professional,
        requester_site=requester_site,
        vital_emergency=vital_emergency,
        submission_key=submission_key,
    )
    try:
        taken = request_take(request=created, user=user)
    except DomainError as error:
        if error.code not in ("held", "not_open"):
            raise
        return created
    if tags:
        return request_tags_set(request=taken, user=user, tags=tags)
    return taken
