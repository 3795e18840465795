"""Writes of capacity planning: a suggestion sent to the professionals concerned as a request to publish slots."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError
from directory.models import Professional
from notifications.models import Message, MessageChannel, MessageKind
from notifications.services import message_queue
from territory.models import Cell

from . import planning, selectors

NO_SUGGESTION = _("There is no suggestion for this care and place any more: the page has been brought up to date.")
NOBODY = _("No professional of this care at this place has an e-mail address in the directory.")
ALREADY_SENT = _("This request was already sent this week to every professional concerned.")


def _key(suggestion: planning.Suggestion, professional: Professional) -> str:
    return f"{MessageKind.CAPACITY_REQUEST}:{suggestion.key_part}:{professional.pk}"


def capacity_request_send(*, cell: Cell, care: str, place: int | None, now: datetime | None = None) -> int:
    """E-mail the suggestion to open more slots for (care, place), recomputed now (never what a form says it
    was), to each professional concerned (`selectors.professionals_concerned`), through the outbox. Counts only, no
    patient's data. Idempotent: one message per professional, suggestion and week (its key); sending again the
    same week reaches only those not yet asked, and is refused when everyone was. Returns how many were queued."""
    now = now or timezone.now()
    found = planning.plan(cell, now=now, only=(care, place))
    row = next(iter(found.rows), None)
    if row is None or row.suggestion is None or row.suggestion.kind != planning.MORE:
        raise DomainError(NO_SUGGESTION)
    suggestion = row.suggestion
    pks = selectors.professionals_concerned(cell, care=care, place=place, where=selectors.places(cell), now=now)
    if not pks:
        raise DomainError(NOBODY)
    professionals = list(Professional.objects.filter(pk__in=pks).order_by("pk"))
    keys = {_key(suggestion, professional): professional for professional in professionals}
    sent_already = set(Message.objects.filter(key__in=keys).values_list("key", flat=True))
    if len(sent_already) == len(keys):
        raise DomainError(ALREADY_SENT)
    queued = 0
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        text = planning.suggestion_text(suggestion, row.place_name)
        url = settings.AIGUILLAGE_BASE_URL.rstrip("/") + reverse("agenda:publish", kwargs={"cell": cell.slug})
        subject = gettext("[%(cell)s] Request to publish slots: %(suggestion)s") % {
            "cell": cell.name,
            "suggestion": text,
        }
        week = next(w for w in row.weeks if w.monday == suggestion.week)
        for key, professional in keys.items():
            if key in sent_already:
                continue
            body = render_to_string(
                "capacity/publish_request.txt",
                {
                    "cell": cell,
                    "professional": professional,
                    "text": text,
                    "week": suggestion.week,
                    "week_end": date.fromordinal(suggestion.week.toordinal() + 6),
                    "demand": week.demand_shown,
                    "free": week.free,
                    "error": row.error_shown,
                    "url": url,
                },
            )
            message = message_queue(
                Message(
                    cell=cell,
                    kind=MessageKind.CAPACITY_REQUEST,
                    channel=MessageChannel.EMAIL,
                    to=professional.email,
                    subject=subject[:200],
                    body=body,
                    key=key,
                    created_at=now,
                )
            )
            queued += message is not None
    return queued
