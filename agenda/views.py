from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from accounts.models import Role, User
from accounts.policies import PUBLIC, CellMixin, Perm
from audit.context import PATIENT
from audit.recording import record_read
from common.care import Modality
from common.errors import DomainError, add_to_form
from common.forms import describe_fields
from common.pdf import pdf_from_html
from directory.models import Professional
from referrals.views.actions import RequestPageAction

from . import selectors, services
from .backfill import slot_book_ready
from .calendar import feed_ical, feed_renew
from .forms import AbsenceForm, PlanForm, PublishForm
from .models import AvailabilityPlan, BookingStatus, CalendarFeed
from .seasons import day_and_name, plan_holidays


class BookingAction(RequestPageAction):
    """A button on an appointment of the request's page: it goes back to the appointment's request."""

    def request_pk(self) -> int:
        return selectors.booking_for(self.cell, self.kwargs["pk"]).request_id


class BookSlot(RequestPageAction):
    """Book a slot for a request, from the request's page: on a lost race, the page shows the next choices."""

    def act(self, user: User) -> tuple[int, str]:
        target = self.target
        slot = selectors.slot_to_book(self.cell, self.kwargs["slot_pk"])
        if self.request.POST.get("ready_only") == "1":  # from the freed-slot proposals: ready requests only
            slot_book_ready(slot=slot, request=target, user=user)
        else:
            services.slot_book(slot=slot, request=target, user=user)
        return target.pk, gettext("Appointment booked: %(slot)s.") % {"slot": selectors.slot_label(slot)}


class SessionsSet(RequestPageAction):
    """How many sessions the request's series needs (physiotherapy, nursing), from the request's page."""

    def act(self, user: User) -> tuple[int, str]:
        target = self.target
        typed = self.request.POST.get("sessions", "").strip()
        if not typed.isdigit() or len(typed) > 3:
            raise DomainError(SESSIONS_NOT_A_NUMBER, field="sessions")
        services.request_sessions_set(request=target, user=user, sessions=int(typed))
        return target.pk, gettext("Series of %(count)s sessions saved.") % {"count": int(typed)}


SESSIONS_NOT_A_NUMBER = _("Give the number of sessions, from 1 to 20.")


class BookingCancel(BookingAction):
    """Cancel an appointment from the request's page: a reason and a ticked confirmation, or nothing changes."""

    def act(self, user: User) -> tuple[int, str]:
        booking = selectors.booking_for(self.cell, self.kwargs["pk"])
        reason = self.request.POST.get("reason", "").strip()[:500]
        if not reason:
            raise DomainError(services.CANCEL_REASON_REQUIRED, field="reason")
        if self.request.POST.get("confirm") != "on":
            raise DomainError(CANCEL_NOT_CONFIRMED, field="confirm")
        services.booking_cancel(booking=booking, user=user, reason=reason)
        return booking.request_id, gettext("Appointment cancelled; the patient and the effector are told.")


CANCEL_NOT_CONFIRMED = _("Tick the box to confirm the cancellation: nothing was cancelled.")


class BookingMove(BookingAction):
    """Move an appointment to another slot, from the request's page; a lost race leaves it where it was."""

    def act(self, user: User) -> tuple[int, str]:
        booking = selectors.booking_for(self.cell, self.kwargs["pk"])
        slot = selectors.slot_to_book(self.cell, self.kwargs["slot_pk"])
        services.booking_move(booking=booking, slot=slot, user=user)
        return booking.request_id, gettext("Appointment moved: %(slot)s.") % {"slot": selectors.slot_label(slot)}


class BookingNote(BookingAction):
    """The cell's note for the appointment's effectors, from the request's page."""

    def act(self, user: User) -> tuple[int, str]:
        booking = selectors.booking_for(self.cell, self.kwargs["pk"])
        services.booking_note_set(booking=booking, user=user, note=self.request.POST.get("effector_note", ""))
        return booking.request_id, gettext("Note for the effector saved: they see it with the appointment.")


class BookingOutcome(BookingAction):
    def act(self, user: User) -> tuple[int, str]:
        booking = selectors.booking_for(self.cell, self.kwargs["pk"])
        outcome = self.request.POST.get("outcome", "")
        if outcome not in ("seen", "no_show"):
            raise DomainError(gettext("Say whether the patient was seen."))
        services.booking_outcome(
            booking=booking,
            user=user,
            seen=outcome == "seen",
            follow_up_needed=self.request.POST.get("follow_up") == "on",
            note=self.request.POST.get("note", "")[:2000],
        )
        return booking.request_id, ""


class BookingSlip(CellMixin, View):
    """The appointment slip (PDF) to read out on the phone or post to a patient no SMS reaches: when, where, what
    to bring, how to cancel (the cell's number for patients, never the professionals' one)."""

    permission = Perm.REQUEST_HANDLE
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        booking = selectors.booking_for(self.cell, kwargs["pk"])
        slot = booking.slot
        record_read(cell=self.cell, request_obj=booking.request, what="appointment_slip")
        html = render_to_string(
            "agenda/slip.html",
            {
                "cell": self.cell,
                "booking": booking,
                "req": booking.request,
                "slot": slot,
                "home_visit": slot.modality == Modality.HOME_VISIT,
            },
        )
        response = HttpResponse(pdf_from_html(html), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="rendez-vous-{booking.request.reference}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


class OwnMixin(CellMixin):
    """An effector sees and changes their own availability only; coordinators, everyone's in the cell."""

    def own_professional(self) -> Professional | None:
        return self.membership.professional if self.membership.role == Role.EFFECTOR else None

    def own_pk(self) -> int | None:
        own = self.own_professional()
        return own.pk if own else None

    def get_form(self, form_class: Any = None) -> Any:
        """The view's form, limited to the cell (and to the effector's own record)."""
        return self.form_class(**self.get_form_kwargs(), cell=self.cell, own=self.own_professional())  # type: ignore[attr-defined]

    def owned_data(self, form: Any) -> dict[str, Any]:
        """What the form says, with the effector's own record as the professional whatever was posted."""
        data = dict(form.cleaned_data)
        if self.own_professional() is not None:
            data["professional"] = self.own_professional()
        return data


class SlotPublish(OwnMixin, FormView):
    """Effectors publish their own slots; coordinators publish on an effector's behalf. The list shows what comes."""

    permission = Perm.SLOTS_PUBLISH
    template_name = "agenda/publish.html"
    form_class = PublishForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        own = self.own_professional()
        describe_fields(context["form"])
        feed = CalendarFeed.objects.filter(professional=own).first() if own else None
        context.update(
            title=gettext("Publish slots"),
            slots=selectors.upcoming_slots(self.cell, timezone.now(), own.pk if own else None),
            feed_url=self.request.build_absolute_uri(reverse("calendar_feed", kwargs={"token": feed.token}))
            if feed
            else "",
            is_effector=own is not None,
        )
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        data = self.owned_data(form)
        try:
            created = services.slots_publish(cell=self.cell, **data)
        except DomainError as error:
            add_to_form(form, error)
            return self.form_invalid(form)
        messages.success(self.request, gettext("%(count)s slots published.") % {"count": len(created)})
        return HttpResponseRedirect(reverse("agenda:publish", kwargs={"cell": self.cell.slug}))


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The public iCalendar address: the token is the only key; a renewed or unknown token is a 404."""
    feed = CalendarFeed.objects.select_related("professional").filter(token=token).first()
    if feed is None:
        raise Http404
    body = feed_ical(feed.professional, timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


calendar_feed.permission = PUBLIC  # type: ignore[attr-defined]


class CalendarFeedRenew(CellMixin, View):
    """An effector (re)creates the secret address of their calendar; the previous one stops working."""

    permission = Perm.OWN_CALENDAR
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        professional = self.membership.professional
        if professional is None:
            raise Http404
        feed_renew(professional=professional)
        messages.success(request, gettext("New calendar address created; the previous one no longer works."))
        return HttpResponseRedirect(reverse("agenda:publish", kwargs={"cell": self.cell.slug}))


def _spared_message(request: HttpRequest, spared: list[Any]) -> None:
    if spared:
        listed = ", ".join(selectors.slot_label(slot) for slot in spared)
        messages.warning(
            request,
            gettext(
                "%(count)s booked slots were kept as they were: %(slots)s. Move or cancel these appointments if needed."
            )
            % {"count": len(spared), "slots": listed},
        )


class PlanList(OwnMixin, TemplateView):
    permission = Perm.SLOTS_PUBLISH
    template_name = "agenda/plans.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(title=gettext("Recurring plans"), plans=selectors.plans_for(self.cell, self.own_pk()))
        return context


def _posted(form: Any, name: str) -> Any:
    """A field's posted value, cleaned; None when it is not valid."""
    try:
        return form.fields[name].clean(form[name].data)
    except ValidationError:
        return None


class PlanEdit(OwnMixin, FormView):
    """Create a plan, or change one (its future free slots are generated again; booked ones are spared)."""

    permission = Perm.SLOTS_PUBLISH
    template_name = "agenda/plan_form.html"
    form_class = PlanForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.plan: AvailabilityPlan | None = None
        return super().dispatch(request, *args, **kwargs)

    def get_plan(self) -> AvailabilityPlan | None:
        if "pk" in self.kwargs and self.plan is None:
            self.plan = selectors.plan_for(self.cell, self.kwargs["pk"], self.own_pk())
        return self.plan

    def get_initial(self) -> dict[str, Any]:
        plan = self.get_plan()
        return PlanForm.initial_from(plan) if plan else {"first_day": timezone.localdate()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        describe_fields(context["form"])
        plan = self.get_plan()
        context.update(
            title=gettext("Change the plan") if plan else gettext("New recurring plan"),
            plan=plan,
            holidays=self.holidays(context["form"], plan),
        )
        return context

    def holidays(self, form: Any, plan: AvailabilityPlan | None) -> list[str]:
        """The public holidays the plan skips ("15 août (Assomption)"): the posted dates and days when the form was
        sent back, the plan's own otherwise (none for a new plan not yet sent)."""
        if form.is_bound:
            # Read again from what was posted: a refusal on a field (the dates) removes it from cleaned_data.
            data = {name: _posted(form, name) for name in ("first_day", "last_day", "weekdays", "open_on_holidays")}
            if not all(data.get(name) for name in ("first_day", "last_day", "weekdays")):
                return []
            plan = AvailabilityPlan(
                pk=plan.pk if plan else None,
                first_day=data["first_day"],
                last_day=data["last_day"],
                weekdays=data["weekdays"],
                open_on_holidays=data.get("open_on_holidays", False),
            )
        if plan is None:
            return []
        return [day_and_name(day, name) for day, name in plan_holidays(plan, self.cell.holiday_zone).items()]

    def form_valid(self, form: Any) -> HttpResponse:
        data = self.owned_data(form)
        try:
            result = services.plan_save(cell=self.cell, plan=self.get_plan(), **data)
        except DomainError as error:
            add_to_form(form, error)
            return self.form_invalid(form)
        text = gettext("Plan saved: %(count)s slots generated up to %(until)s.") % {
            "count": result.created,
            "until": f"{result.plan.generated_until:%d/%m/%Y}" if result.plan.generated_until else "—",
        }
        if result.skipped:
            text += " " + gettext("%(count)s times were left out (another slot or an absence).") % {
                "count": result.skipped
            }
        if result.holidays:
            days = ", ".join(day_and_name(day, name) for day, name in result.holidays.items())
            text += " " + gettext("No slot on these public holidays: %(days)s.") % {"days": days}
        messages.success(self.request, text)
        _spared_message(self.request, result.spared)
        return HttpResponseRedirect(reverse("agenda:plans", kwargs={"cell": self.cell.slug}))


class PlanStop(OwnMixin, View):
    permission = Perm.SLOTS_PUBLISH
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        plan = selectors.plan_for(self.cell, kwargs["pk"], self.own_pk())
        result = services.plan_stop(plan=plan)
        messages.success(request, gettext("Plan stopped: its free slots to come were withdrawn."))
        _spared_message(request, result.spared)
        return HttpResponseRedirect(reverse("agenda:plans", kwargs={"cell": self.cell.slug}))


class AbsenceList(OwnMixin, FormView):
    """Absences and holidays: adding one withdraws the free slots it covers, and names the booked ones."""

    permission = Perm.SLOTS_PUBLISH
    template_name = "agenda/absences.html"
    form_class = AbsenceForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        describe_fields(context["form"])
        context.update(
            title=gettext("Absences and holidays"),
            absences=selectors.absences_for(self.cell, timezone.now(), self.own_pk()),
        )
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        data = self.owned_data(form)
        try:
            result = services.absence_add(cell=self.cell, **data)
        except DomainError as error:
            add_to_form(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request, gettext("Absence recorded: %(count)s free slots withdrawn.") % {"count": result.withdrawn}
        )
        _spared_message(self.request, result.kept)
        return HttpResponseRedirect(reverse("agenda:absences", kwargs={"cell": self.cell.slug}))


@method_decorator(never_cache, name="dispatch")
class PatientCancel(View):
    """The patient's cancel link (in their SMS): the appointment and a button; the button asks to confirm, and only
    the confirmation cancels. Opened again, a cancelled appointment says so with the number for patients; an unknown
    link, or one whose appointment is over, gets a plain page that reveals nothing."""

    permission = PUBLIC

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        booking = selectors.booking_of_patient_link(token)
        if booking is None or booking.status not in (BookingStatus.BOOKED, BookingStatus.CANCELLED):
            return render(request, "agenda/patient_link_invalid.html", status=404)
        cell = booking.request.cell
        if booking.status == BookingStatus.CANCELLED:
            return render(request, "agenda/patient_cancelled.html", {"public_cell": cell, "again": True})
        too_late = booking.slot.starts_at - services.CANCEL_BEFORE <= timezone.now()
        record_read(cell=cell.pk, request_obj=booking.request, what="booking", actor=PATIENT)
        context = {"booking": booking, "too_late": too_late, "public_cell": cell}
        return render(request, "agenda/patient_cancel.html", context)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        if request.POST.get("confirm") != "yes":  # the first button: ask before anything changes
            booking = selectors.booking_of_patient_link(token)
            if booking is None or booking.status != BookingStatus.BOOKED:
                return self.get(request, token)
            context = {"booking": booking, "confirming": True, "public_cell": booking.request.cell}
            return render(request, "agenda/patient_cancel.html", context)
        try:
            booking = services.booking_cancel_by_patient(token=token)
        except DomainError as error:
            if error.code == "too_late":
                booking = selectors.booking_by_cancel_token(token)
                context = {"booking": booking, "too_late": True, "public_cell": booking.request.cell}
                return render(request, "agenda/patient_cancel.html", context, status=409)
            return self.get(request, token)
        return render(request, "agenda/patient_cancelled.html", {"public_cell": booking.request.cell})
