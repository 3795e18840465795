"""The cell's own tags (seed 002): the cell administrator names them; coordinators put them on requests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.errors import DomainError
from territory.models import Cell

from ..models import EventKind, Request, Tag, TagColour, tag_key
from ..states import OPEN
from ._core import NOT_OPEN, _event, _locked, _require_handler

TAG_NAME_REQUIRED = _("Give the tag a name.")
TAG_NAME_TOO_LONG = _("A tag's name has at most 40 characters.")
TAG_NAME_TAKEN = _("The cell already has a tag named “%(name)s” (archived tags included).")
TAG_COLOUR_UNKNOWN = _("Choose one of the colours offered.")
TAG_OF_OTHER_CELL = _("This tag is not one of the cell's.")
TAG_ARCHIVED = _("The tag “%(name)s” is archived: it can no longer be put on a request.")
TAGS_CHANGED = _("Tags: %(tags)s.")
NO_TAG = _("no tag")


def _named(cell: Cell, tag: Tag, name: str, colour: str) -> Tag:
    """Check and save the tag's name and colour: a name, unique in the cell whatever its case and spaces, and one
    of the palette's colours. The database's unique constraint settles a race between two administrators."""
    name = " ".join(name.split())
    if not name:
        raise DomainError(TAG_NAME_REQUIRED, field="name")
    if len(name) > Tag._meta.get_field("name").max_length:  # type: ignore[operator]
        raise DomainError(TAG_NAME_TOO_LONG, field="name")
    if colour not in TagColour.values:
        raise DomainError(TAG_COLOUR_UNKNOWN, field="colour")
    same = Tag.objects.filter(cell=cell, key=tag_key(name)).exclude(pk=tag.pk).first()
    taken = DomainError(TAG_NAME_TAKEN % {"name": same.name if same else name}, field="name", code="taken")
    if same is not None:
        raise taken
    tag.name, tag.key, tag.colour = name, tag_key(name), colour
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError as error:
        raise taken from error
    return tag


def tag_create(*, cell: Cell, name: str, colour: str = TagColour.BLUE) -> Tag:
    """A new tag of the cell, active."""
    return _named(cell, Tag(cell=cell), name, colour)


def tag_update(*, tag: Tag, name: str, colour: str) -> Tag:
    """Rename or recolour a tag: the requests tagged with it show the new name (it is the same tag)."""
    return _named(tag.cell, tag, name, colour)


def tag_archive(*, tag: Tag, archived: bool = True) -> Tag:
    """Archive a tag (no longer offered, kept on the requests that have it and in the indicators), or restore it."""
    tag.is_active = not archived
    tag.save(update_fields=["is_active"])
    return tag


@transaction.atomic
def request_tags_set(*, request: Request, user: User, tags: Iterable[Tag], now: datetime | None = None) -> Request:
    """Put exactly these tags on an open request: only the cell's tags, and an archived one only if the request
    already has it. A change is a line of the timeline (not shown to the requester) and a row of the access log; the
    same tags again change nothing."""
    now = now or timezone.now()
    request = _locked(request)
    if request.status not in OPEN:
        raise DomainError(NOT_OPEN, code="not_open")
    _require_handler(request, user, now)
    wanted = {tag.pk: tag for tag in tags}
    current = {tag.pk: tag for tag in request.tags.all()}
    for tag in wanted.values():
        if tag.cell_id != request.cell_id:
            raise DomainError(TAG_OF_OTHER_CELL, field="tags", code="other_cell")
        if not tag.is_active and tag.pk not in current:
            raise DomainError(TAG_ARCHIVED % {"name": tag.name}, field="tags", code="archived")
    if wanted.keys() == current.keys():
        return request
    request.tags.set(wanted.values())
    names = ", ".join(tag.name for tag in sorted(wanted.values(), key=lambda tag: tag.key)) or str(NO_TAG)
    request.last_activity_at = now
    request.save(update_fields=["last_activity_at"])
    _event(
        request,
        at=now,
        actor=user,
        kind=EventKind.TAGS,
        text=str(TAGS_CHANGED % {"tags": names}),
        visible_to_requester=False,
    )
    return request
