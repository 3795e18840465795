"""The agenda as a calendar: week and day views (FullCalendar, from the npm registry) of the whole cell, an effector,
a site or a care channel; each effector sees their own agenda with their patients."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from csp.decorators import csp_update
from django import forms
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.policies import Perm
from audit.recording import record_list
from common.care import CareChannel
from directory.models import AgreementStatus, PoolAgreement, Professional, Site
from territory.models import Cell

from . import selectors
from .models import Slot
from .seasons import calendar_holidays
from .views import OwnMixin

# A professional another cell shares with this one (decision 0021), named with their home cell.
POOL_NAME = _("%(name)s (pool, %(cell)s)")


def pool_label(name: object, home: Cell, cell_id: int) -> str:
    """A professional's name; for one of the cell's pool (their home cell another), with their home cell."""
    return str(name) if home.pk == cell_id else str(POOL_NAME) % {"name": name, "cell": home.name}


class CalendarFilters(forms.Form):
    cell: Any

    professional = forms.ModelChoiceField(
        label=_("Professional"), queryset=Professional.objects.none(), required=False, empty_label=_("Everyone")
    )
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("Every site")
    )
    care_channel = forms.ChoiceField(
        label=_("Care"), choices=[("", _("All care")), *CareChannel.choices], required=False
    )

    def __init__(self, *args: Any, cell: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        professional = self.fields["professional"]
        site = self.fields["site"]
        assert isinstance(professional, forms.ModelChoiceField) and isinstance(site, forms.ModelChoiceField)
        offering = Slot.objects.filter(cell=cell).values("professional")
        # The professionals other cells share with this one (decision 0021): choosing one shows their times here.
        pool = PoolAgreement.objects.filter(cell=cell, status=AgreementStatus.ACCEPTED).values("professional")
        professional.queryset = (
            Professional.objects.filter(Q(cell=cell, pk__in=offering) | Q(pk__in=pool))
            .select_related("cell")
            .order_by("search_name")
        )
        self.cell = cell
        professional.label_from_instance = lambda p: pool_label(p, p.cell, cell.pk)  # type: ignore[assignment]
        site.queryset = Site.objects.filter(cell=cell, pk__in=Slot.objects.filter(cell=cell).values("site")).order_by(
            "name"
        )

    @property
    def own_professionals(self) -> list[Professional]:
        """The cell's own professionals of the filter (the day sheets' list: a pool professional's is their cell's);
        read only by the page, not by its events' requests."""
        field = self.fields["professional"]
        assert isinstance(field, forms.ModelChoiceField) and field.queryset is not None
        return [p for p in field.queryset if p.cell_id == self.cell.pk]


# FullCalendar 6 embeds its icon font (the toolbar's arrows) as a data: URL in the stylesheet it creates at run time
# (its nonce: agenda/calendar.html); Chromium loads a data: font as soon as the rule exists. This page only allows it.
@method_decorator(csp_update({"font-src": ["data:"]}), name="dispatch")
class CalendarPage(OwnMixin, TemplateView):
    permission = Perm.AGENDA_VIEW
    template_name = "agenda/calendar.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        own = self.own_professional()
        context.update(
            title=gettext("My agenda") if own else gettext("Agenda"),
            filters=None if own else CalendarFilters(cell=self.cell, auto_id="calendar-%s"),
            events_url=reverse("agenda:calendar_events", kwargs={"cell": self.cell.slug}),
            # The calendar shows Paris wall-clock times whatever the browser's zone: it runs in "UTC" and is given
            # naive Paris times.
            now=f"{timezone.localtime():%Y-%m-%dT%H:%M:%S}",
        )
        return context


def _bookings(slot: Slot) -> list[Any]:
    """The slot's bookings, or for a teleconsultant's time the spot's bookings it is paired with."""
    return list(getattr(slot, "kept_bookings", [])) or list(getattr(slot, "kept_paired", []))


def _paris(value: str | None) -> datetime | None:
    parsed = parse_datetime(value or "")
    if parsed is None:
        return None
    # The calendar sends Paris wall-clock times (marked as UTC, see CalendarPage).
    return timezone.make_aware(parsed.replace(tzinfo=None))


def _wall(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%dT%H:%M:%S}"


class CalendarEvents(OwnMixin, View):
    """The calendar's events for the range it asks (at most six weeks), as JSON: the slots, and each public holiday
    of the cell's zone as a background event labelled with its French name (computed, no query)."""

    permission = Perm.AGENDA_VIEW
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        start: datetime | None
        end: datetime | None
        if "start" not in request.GET and "end" not in request.GET:  # no range asked: this week
            today = timezone.localdate()
            monday = timezone.make_aware(datetime.combine(today - timedelta(days=today.weekday()), time.min))
            start, end = monday, monday + timedelta(days=7)
        else:
            start, end = _paris(request.GET.get("start")), _paris(request.GET.get("end"))
        errors = {}
        if start is None:
            errors["start"] = gettext("Give the start of the period.")
        if end is None:
            errors["end"] = gettext("Give the end of the period.")
        if start and end and not timedelta(0) < end - start <= timedelta(days=42):
            errors["end"] = gettext("The period lasts from one day to six weeks.")
        if errors or start is None or end is None:
            return JsonResponse({"errors": errors}, status=400)
        own = self.own_pk()
        filters = CalendarFilters(request.GET, cell=self.cell)
        chosen = filters.cleaned_data if filters.is_valid() else {}
        slots = selectors.calendar_slots(
            self.cell,
            start,
            end,
            professional_id=None if own is not None else getattr(chosen.get("professional"), "pk", None),
            effector_id=own,
            site_id=getattr(chosen.get("site"), "pk", None),
            care_channel=chosen.get("care_channel", ""),
        )
        sees_patients = self.allows(Perm.QUEUE_VIEW) or own is not None
        now = timezone.now()
        if sees_patients:
            # The cell's own patients; an effector's own agenda also shows those other cells booked with them (a
            # pool professional, decision 0021), logged in those cells' access logs.
            by_cell: dict[int, list[int]] = {}
            for booking in (booking for slot in slots for booking in _bookings(slot)):
                if booking.request.cell_id == self.cell.pk or own is not None:
                    by_cell.setdefault(booking.request.cell_id, []).append(booking.request_id)
            for cell_id, requests in sorted(by_cell.items()):
                record_list(request, cell=cell_id, what="calendar", requests=requests)
        events = [self.event(slot, now, sees_patients) for slot in slots]
        return JsonResponse([*calendar_holidays(self.cell.holiday_zone, start, end), *events], safe=False)

    def who(self, booking: Any, sees_patients: bool) -> str:
        """Whom a booking is for, as the event's title says it. Another cell's booking of a pool professional's time
        (decision 0021): the cell sees it taken and by which cell, never the patient; the professional's own agenda
        shows their patient with the cell that booked."""
        if booking.request.cell_id == self.cell.pk:
            return str(booking.request.patient_name) if sees_patients else ""
        cell = booking.request.cell.name
        if self.own_pk() is not None:
            return f"{booking.request.patient_name} ({cell})"
        return gettext("booked by %(cell)s") % {"cell": cell}

    def event(self, slot: Slot, now: datetime, sees_patients: bool) -> dict[str, Any]:
        bookings = _bookings(slot)
        state = "full" if slot.free == 0 else "not-taken" if slot.is_not_taken(now) else "free"
        if slot.attention:
            state = "attention"
        where = slot.site.name if slot.site else (f"{slot.place} ({slot.commune})" if slot.commune else "")
        if slot.is_teleconsultant_time and bookings and bookings[0].slot.site is not None:
            where = bookings[0].slot.site.name  # the spot where the patient and the IDEL wait
        title = f"{slot.get_care_channel_display()} · {slot.booked}/{slot.capacity}"
        # A pool professional's time lives in their home cell, the slot's.
        who = pool_label(slot.professional or "", slot.cell, self.cell.pk)
        patients = [label for label in (self.who(booking, sees_patients) for booking in bookings) if label]
        ours = bool(bookings) and bookings[0].request.cell_id == self.cell.pk
        url = ""
        if sees_patients and ours and self.allows(Perm.REQUEST_VIEW):
            url = reverse("referrals:request_detail", kwargs={"cell": self.cell.slug, "pk": bookings[0].request_id})
        elif sees_patients and bookings and self.own_pk() is not None:
            url = reverse("agenda:appointment", kwargs={"cell": self.cell.slug, "pk": bookings[0].pk})
        return {
            "id": slot.pk,
            "title": " — ".join([title, *patients]),
            "start": _wall(slot.starts_at),
            "end": _wall(slot.ends_at),
            "classNames": [f"slot-{state}"],
            "url": url,
            "extendedProps": {
                "who": who,
                "where": where,
                "modality": str(slot.get_modality_display()),
                "attention": slot.attention,
                "openTo": selectors.named_label(slot),
            },
        }
