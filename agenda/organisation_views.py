"""Screens for the cell's shared offer: Médicobus tours and telemedicine spots (coordinators, cell administrators)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views import View
from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from common.errors import DomainError, add_to_form
from common.forms import describe_fields

from . import selectors, services
from .forms import PeriodFormSet, SpotForm, StopFormSet, TourForm
from .models import MedicobusTour, TelemedicineSpot
from .seasons import Period, day_and_name, plan_periods, tour_periods
from .views import _spared_message


def _period_rows(periods: list[Period]) -> list[dict[str, Any]]:
    return [{"first_day": first, "last_day": last} for first, last in periods]


def _period_formset(data: Any, rows: list[dict[str, Any]]) -> Any:
    """The periods' formset: the saved periods shown, or what was posted read as it is (a posted period equal to a
    saved one is still a period, whatever the page's count of initial forms said)."""
    return PeriodFormSet(data, initial=None if data is not None else rows, prefix="periods")


def _periods_error(periods: Any, error: DomainError) -> None:
    """A refusal about the periods as a whole (overlapping, in the wrong order, all holidays) above the periods."""
    periods._non_form_errors = periods.error_class([str(error.message)])


def _holidays_message(request: HttpRequest, holidays: dict[Any, str]) -> None:
    if holidays:
        days = ", ".join(day_and_name(day, name) for day, name in sorted(holidays.items()))
        messages.info(request, gettext("No slot on these public holidays: %(days)s.") % {"days": days})


class TourList(CellMixin, TemplateView):
    permission = Perm.AGENDA_MANAGE
    template_name = "agenda/tours.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            title=gettext("Médicobus and telemedicine spots"),
            tours=selectors.tours_of(self.cell),
            spots=selectors.spots_of(self.cell),
        )
        return context


class TourEdit(CellMixin, TemplateView):
    """A tour and its stops (a formset); saving keeps unchanged stops, and flags bookings a change affects."""

    permission = Perm.AGENDA_MANAGE
    template_name = "agenda/tour_form.html"

    def tour(self) -> MedicobusTour | None:
        return selectors.tour_for(self.cell, self.kwargs["pk"]) if "pk" in self.kwargs else None

    def forms(self, data: Any = None) -> tuple[TourForm, Any, Any]:
        tour = self.tour()
        initial: dict[str, Any] = {}
        stops: list[dict[str, Any]] = []
        periods = [{"first_day": timezone.localdate()}]
        if tour is not None:
            initial = {
                "name": tour.name,
                "doctor": tour.doctor_id,
                "assistant": tour.assistant_id,
                "site": tour.site_id,
                "minutes": tour.minutes,
                "open_on_holidays": tour.open_on_holidays,
            }
            stops = selectors.tour_stop_rows(tour)
            periods = _period_rows(tour_periods(tour))
        form = TourForm(data, cell=self.cell, initial=initial)
        formset = StopFormSet(data, initial=stops or None, prefix="stops", form_kwargs={"cell": self.cell})
        return form, formset, _period_formset(data, periods)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form, formset, periods = kwargs.get("form"), kwargs.get("formset"), kwargs.get("periods")
        if form is None or formset is None or periods is None:
            form, formset, periods = self.forms()
        describe_fields(form)
        for row in [*formset, *periods]:
            describe_fields(row)
        tour = self.tour()
        context.update(
            title=gettext("Change the tour") if tour else gettext("New Médicobus tour"),
            form=form,
            formset=formset,
            periods=periods,
            tour=tour,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, formset, periods = self.forms(request.POST)
        if not (form.is_valid() and formset.is_valid() and periods.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, formset=formset, periods=periods))
        stops = [
            services.StopData(
                weekday=stop["weekday"],
                commune=stop["commune"],
                place=stop["place"],
                start_time=stop["start_time"],
                end_time=stop["end_time"],
                capacity=stop["capacity"],
            )
            for stop in formset.cleaned_data
            if stop and not stop.get("DELETE")
        ]
        try:
            result = services.tour_save(
                cell=self.cell, tour=self.tour(), stops=stops, periods=periods.periods(), **form.cleaned_data
            )
        except DomainError as error:
            if error.field in form.fields:
                add_to_form(form, error)
            elif error.field in ("periods", "first_day", "last_day"):
                _periods_error(periods, error)
            else:  # the stops as a whole (one outside the territory, two at once, none at all)
                formset._non_form_errors = formset.error_class([str(error.message)])
            return self.render_to_response(self.get_context_data(form=form, formset=formset, periods=periods))
        messages.success(
            request, gettext("Tour saved: %(count)s consultation times generated.") % {"count": result.created}
        )
        _holidays_message(request, result.holidays)
        _spared_message(request, result.spared)
        return HttpResponseRedirect(reverse("agenda:tours", kwargs={"cell": self.cell.slug}))


class TourStop(CellMixin, View):
    permission = Perm.AGENDA_MANAGE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        result = services.tour_stop(tour=selectors.tour_for(self.cell, kwargs["pk"]))
        messages.success(request, gettext("Tour stopped: its free times to come were withdrawn."))
        _spared_message(request, result.spared)
        return HttpResponseRedirect(reverse("agenda:tours", kwargs={"cell": self.cell.slug}))


class SpotEdit(CellMixin, TemplateView):
    permission = Perm.AGENDA_MANAGE
    template_name = "agenda/spot_form.html"

    def spot(self) -> TelemedicineSpot | None:
        return selectors.spot_for(self.cell, self.kwargs["pk"]) if "pk" in self.kwargs else None

    def forms(self, data: Any = None) -> tuple[SpotForm, Any]:
        spot = self.spot()
        initial: dict[str, Any] = {"weekdays": [0, 2, 4]}
        periods = [{"first_day": timezone.localdate()}]
        if spot is not None and spot.plan is not None:
            plan = spot.plan
            initial = {
                "site": spot.site_id,
                "nurses": list(spot.nurses.values_list("pk", flat=True)),
                "weekdays": plan.weekdays,
                "start_time": plan.start_time,
                "end_time": plan.end_time,
                "minutes": plan.minutes,
                "cabins": plan.capacity,
                "open_to_sas": plan.open_to_sas,
                "open_on_holidays": plan.open_on_holidays,
            }
            periods = _period_rows(plan_periods(plan))
        return SpotForm(data, cell=self.cell, initial=initial), _period_formset(data, periods)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form, periods = kwargs.get("form"), kwargs.get("periods")
        if form is None or periods is None:
            form, periods = self.forms()
        describe_fields(form)
        for row in periods:
            describe_fields(row)
        spot = self.spot()
        title = gettext("Change the telemedicine spot") if spot else gettext("New telemedicine spot")
        context.update(title=title, form=form, periods=periods, spot=spot)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, periods = self.forms(request.POST)
        if not (form.is_valid() and periods.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, periods=periods))
        data = dict(form.cleaned_data)
        data["nurses"] = list(data["nurses"])
        try:
            _spot, result = services.spot_save(cell=self.cell, spot=self.spot(), periods=periods.periods(), **data)
        except DomainError as error:
            if error.field in ("periods", "first_day", "last_day"):
                _periods_error(periods, error)
            else:
                add_to_form(form, error)
            return self.render_to_response(self.get_context_data(form=form, periods=periods))
        messages.success(
            request, gettext("Spot saved: %(count)s teleconsultation times generated.") % {"count": result.created}
        )
        _holidays_message(request, result.holidays)
        _spared_message(request, result.spared)
        return HttpResponseRedirect(reverse("agenda:tours", kwargs={"cell": self.cell.slug}))
