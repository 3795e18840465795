"""An effector's own appointments: the day's patients with what they need to know, and what happened recorded by
them (seen, no-show, follow-up; the spot IDEL's debrief). Only their own appointments; every reading logged."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from django.views.generic.base import ContextMixin

from accounts.models import User
from accounts.policies import CellMixin, Perm
from audit.recording import record_list, record_read
from common.errors import DomainError, add_to_form
from directory.models import Professional

from . import selectors, services
from .forms import DebriefForm, OutcomeForm
from .selectors import Appointment
from .services.debrief import debrief_record


class DayForm(forms.Form):
    jour = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """Midnight to midnight in Paris (a day of 23 or 25 hours at the clock changes), as aware instants."""
    return (
        timezone.make_aware(datetime.combine(day, time.min)),
        timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)),
    )


class EffectorMixin(CellMixin):
    permission = Perm.OWN_APPOINTMENTS

    def professional(self) -> Professional:
        professional = self.membership.professional
        assert professional is not None  # an effector's membership always names them (database constraint)
        return professional

    def list_url(self, day: date | None = None) -> str:
        url = reverse("agenda:appointments", kwargs={"cell": self.cell.slug})
        return f"{url}?jour={day:%Y-%m-%d}" if day else url


class MyAppointments(EffectorMixin, TemplateView):
    """The day's appointments (today unless another day is asked), and those past still waiting for their outcome."""

    template_name = "agenda/appointments.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = DayForm(self.request.GET or None)
        day = (form.cleaned_data.get("jour") if form.is_valid() else None) or timezone.localdate()
        if not form.is_bound:
            form = DayForm(initial={"jour": day})
        start, end = _day_bounds(day)
        professional = self.professional()
        shown = selectors.appointments_of(self.cell, professional, start, end)
        on_day = {appointment.booking.pk for appointment in shown}
        waiting = [
            appointment
            for appointment in selectors.appointments_to_record(self.cell, professional, timezone.now())
            if appointment.booking.pk not in on_day
        ]
        # Each patient's read is logged in the cell of their request: a pool professional (decision 0021) also sees
        # the patients other cells booked with them, and those cells' access logs must say so.
        by_cell: dict[int, list[int]] = {}
        for appointment in [*shown, *waiting]:
            by_cell.setdefault(appointment.request.cell_id, []).append(appointment.booking.request_id)
        for cell_id, requests in sorted(by_cell.items()):
            record_list(self.request, cell=cell_id, what="appointments", requests=requests)
        context.update(
            title=gettext("My appointments"),
            form=form,
            day=day,
            is_today=day == timezone.localdate(),
            previous_url=self.list_url(day - timedelta(days=1)),
            next_url=self.list_url(day + timedelta(days=1)),
            today_url=self.list_url(),
            appointments=shown,
            waiting=waiting,
        )
        return context


class AppointmentDetail(EffectorMixin, ContextMixin, View):
    """One of the effector's appointments, with the forms to record what happened."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page(selectors.appointment_of(self.cell, self.professional(), kwargs["pk"]))

    def page(
        self,
        appointment: Appointment,
        outcome_form: OutcomeForm | None = None,
        debrief_form: DebriefForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        record_read(cell=appointment.request.cell_id, request_obj=appointment.request, what="appointment")
        context = self.get_context_data(
            title=gettext("Appointment of %(patient)s") % {"patient": appointment.request.patient_name},
            appointment=appointment,
            outcome_form=outcome_form or OutcomeForm(auto_id="outcome-%s"),
            debrief_form=debrief_form or DebriefForm(auto_id="debrief-%s"),
            back_url=self.list_url(timezone.localdate(appointment.slot.starts_at)),
        )
        return render(self.request, "agenda/appointment.html", context, status=status)


class AppointmentOutcome(AppointmentDetail):
    """The effector records seen / no-show, a follow-up and a note for the médecin traitant: once."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        appointment = selectors.appointment_of(self.cell, self.professional(), kwargs["pk"])
        form = OutcomeForm(request.POST, auto_id="outcome-%s")
        if form.is_valid():
            user = request.user
            assert isinstance(user, User)
            try:
                services.booking_outcome(
                    booking=appointment.booking,
                    user=user,
                    professional=self.professional(),
                    seen=form.cleaned_data["outcome"] == "seen",
                    follow_up_needed=form.cleaned_data["follow_up"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as error:
                add_to_form(form, error)
            else:
                messages.success(request, OUTCOME_RECORDED)
                return HttpResponseRedirect(self.list_url(timezone.localdate(appointment.slot.starts_at)))
        return self.page(appointment, outcome_form=form)


class AppointmentDebrief(AppointmentDetail):
    """The spot IDEL records the debrief after an assisted teleconsultation: once."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        appointment = selectors.appointment_of(self.cell, self.professional(), kwargs["pk"])
        form = DebriefForm(request.POST, auto_id="debrief-%s")
        if form.is_valid():
            user = request.user
            assert isinstance(user, User)
            try:
                debrief_record(
                    booking=appointment.booking, professional=self.professional(), user=user, **form.cleaned_data
                )
            except DomainError as error:
                add_to_form(form, error)
            else:
                messages.success(request, DEBRIEF_RECORDED)
                return HttpResponseRedirect(
                    reverse("agenda:appointment", kwargs={"cell": self.cell.slug, "pk": appointment.booking.pk})
                )
        return self.page(appointment, debrief_form=form)


OUTCOME_RECORDED = _("Recorded: the coordination cell sees it, and the médecin traitant receives the summary.")
DEBRIEF_RECORDED = _("Debrief recorded: the coordination cell sees it on the request.")
