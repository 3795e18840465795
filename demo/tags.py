"""The demo cell's own tags, the words of seed 002's waiting list, and a few open demo requests tagged with them."""

from __future__ import annotations

from accounts.models import User
from common.care import CareChannel, Urgency
from common.errors import DomainError
from referrals import services
from referrals.models import Request, Tag, TagColour, tag_key
from referrals.states import OPEN
from territory.models import Cell

from .requests import REQUESTS

LOW_URGENCY, PARAMEDICAL, MEDICAL = "Faible urgence", "Soins paramédicaux", "Consultation médicale"
TAGS = [(LOW_URGENCY, TagColour.GREEN), (PARAMEDICAL, TagColour.TEAL), (MEDICAL, TagColour.BLUE)]
PARAMEDICAL_CARE = {CareChannel.PHYSIOTHERAPY, CareChannel.NURSING}


def _tags_for(request: Request, tags: dict[str, Tag]) -> list[Tag]:
    """What a coordinator would tick: paramedical care or a GP consultation, and low urgency for a week's delay."""
    chosen = []
    if request.care_channel in PARAMEDICAL_CARE:
        chosen.append(tags[PARAMEDICAL])
    elif request.care_channel == CareChannel.GP:
        chosen.append(tags[MEDICAL])
    if request.urgency == Urgency.THIS_WEEK:
        chosen.append(tags[LOW_URGENCY])
    return chosen


def load_demo_tags(cell: Cell, coordinator: User) -> int:
    """Create the cell's tags missing (by name, whatever its case), and tag the open demo requests that have none
    yet; returns how many tags were created. Loading again changes nothing."""
    created = 0
    tags: dict[str, Tag] = {}
    for name, colour in TAGS:
        tag = Tag.objects.filter(cell=cell, key=tag_key(name)).first()
        if tag is None:
            tag = services.tag_create(cell=cell, name=name, colour=colour)
            created += 1
        tags[name] = tag
    # The demo requests' stored keys, as their requester's account (none for a QR self-registration) sent them.
    senders = {user.username: user for user in User.objects.filter(username__in={spec.requester for spec in REQUESTS})}
    keys = [
        services.stored_submission_key(senders.get(spec.requester), spec.key)
        for spec in REQUESTS
        if not spec.requester or spec.requester in senders
    ]
    untagged = Request.objects.filter(cell=cell, status__in=OPEN, submission_key__in=keys, tags__isnull=True)
    for request in untagged.order_by("pk"):
        if not _tags_for(request, tags):
            continue
        try:
            services.request_tags_set(
                request=request,
                user=coordinator,
                tags=_tags_for(request, tags),
                now=request.last_activity_at or request.received_at,
            )
        except DomainError:  # held by another coordinator meanwhile: left as it is
            continue
    return created
