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
from .forms import SpotForm, StopFormSet, TourForm
from .models import MedicobusTour, TelemedicineSpot
from .views import _spared_message


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

    def forms(self, data: Any = None) -> tuple[TourForm, Any]:
        tour = self.tour()
        initial: dict[str, Any] = {"first_day": timezone.localdate()}
        stops: list[dict[str, Any]] = []
        if tour is not None:
            initial = {
                "name": tour.name,
                "doctor": tour.doctor_id,
                "assistant": tour.assistant_id,
                "site": tour.site_id,
                "minutes": tour.minutes,
                "first_day": tour.first_day,
                "last_day": tour.last_day,
            }
            stops = selectors.tour_stop_rows(tour)
        form = TourForm(data, cell=self.cell, initial=initial)
        formset = StopFormSet(data, initial=stops or None, prefix="stops", form_kwargs={"cell": self.cell})
        return form, formset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form, formset = kwargs.get("form"), kwargs.get("formset")
        if form is None or formset is None:
            form, formset = self.forms()
        describe_fields(form)
        for stop in formset:
            describe_fields(stop)
        tour = self.tour()
        context.update(
            title=gettext("Change the tour") if tour else gettext("New Médicobus tour"),
            form=form,
            formset=formset,
            tour=tour,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, formset = self.forms(request.POST)
        if not (form.is_valid() and formset.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
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
            result = services.tour_save(cell=self.cell, tour=self.tour(), stops=stops, **form.cleaned_data)
        except DomainError as error:
            if error.field in form.fields:
                add_to_form(form, error)
            else:  # the stops as a whole (one outside the territory, two at once, none at all)
                formset._non_form_errors = formset.error_class([str(error.message)])
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        messages.success(
            request, gettext("Tour saved: %(count)s consultation times generated.") % {"count": result.created}
        )
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

    def form(self, data: Any = None) -> SpotForm:
        spot = self.spot()
        initial: dict[str, Any] = {"first_day": timezone.localdate(), "weekdays": [0, 2, 4]}
        if spot is not None and spot.plan is not None:
            plan = spot.plan
            initial = {
                "site": spot.site_id,
                "nurses": list(spot.nurses.values_list("pk", flat=True)),
                "weekdays": plan.weekdays,
                "start_time": plan.start_time,
                "end_time": plan.end_time,
                "first_day": plan.first_day,
                "last_day": plan.last_day,
                "minutes": plan.minutes,
                "cabins": plan.capacity,
                "open_to_sas": plan.open_to_sas,
            }
        return SpotForm(data, cell=self.cell, initial=initial)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs.get("form") or self.form()
        describe_fields(form)
        spot = self.spot()
        title = gettext("Change the telemedicine spot") if spot else gettext("New telemedicine spot")
        context.update(title=title, form=form, spot=spot)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data = dict(form.cleaned_data)
        data["nurses"] = list(data["nurses"])
        try:
            _spot, result = services.spot_save(cell=self.cell, spot=self.spot(), **data)
        except DomainError as error:
            add_to_form(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(
            request, gettext("Spot saved: %(count)s teleconsultation times generated.") % {"count": result.created}
        )
        _spared_message(request, result.spared)
        return HttpResponseRedirect(reverse("agenda:tours", kwargs={"cell": self.cell.slug}))
