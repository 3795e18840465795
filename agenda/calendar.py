"""The iCalendar feed (RFC 5545) of a professional's slots and appointments, times in Europe/Paris with a VTIMEZONE."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from icalendar import Calendar, Event, Timezone

from directory.models import Professional

from .models import CalendarFeed, Slot, SlotStatus

APPOINTMENT = _("SNP appointment")
FREE_SLOT = _("Free SNP slot")


@transaction.atomic
def feed_renew(*, professional: Professional) -> CalendarFeed:
    """Give the professional a new secret address; the old one stops working at once."""
    feed, created = CalendarFeed.objects.get_or_create(
        professional=professional, defaults={"token": secrets.token_urlsafe(32)}
    )
    if not created:
        feed.token = secrets.token_urlsafe(32)
        feed.save(update_fields=["token"])
    return feed


def feed_ical(professional: Professional, now: datetime) -> bytes:
    """Slots of the last 30 days and to come; a booked slot shows 'Rendez-vous SNP' (no patient name leaves)."""
    zone = settings.TIME_ZONE
    calendar = Calendar()
    calendar.add("prodid", "-//Aiguillage//SNP//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"SNP — {professional}")
    calendar.add("x-wr-timezone", zone)
    calendar.add_component(Timezone.from_tzid(zone))
    slots = (
        Slot.objects.filter(professional=professional, status=SlotStatus.OPEN, ends_at__gt=now - timedelta(days=30))
        .select_related("site", "commune")
        .order_by("starts_at")
    )
    for slot in slots:
        event = Event()
        event.add("uid", f"slot-{slot.pk}@aiguillage")
        event.add("dtstamp", now)
        event.add("dtstart", timezone.localtime(slot.starts_at))
        event.add("dtend", timezone.localtime(slot.ends_at))
        # `booked` counts the slot's own bookings and, for a teleconsultant's time, the spot's booking paired with it.
        with translation.override(settings.LANGUAGE_CODE):
            event.add("summary", str(APPOINTMENT if slot.booked else FREE_SLOT))
        if slot.commune_id is not None and slot.commune is not None:
            event.add("location", f"{slot.place}, {slot.commune.name}".strip(", "))
        elif slot.site:
            event.add("location", f"{slot.site.name}, {slot.site.address}".strip(", "))
        calendar.add_component(event)
    return calendar.to_ical()
