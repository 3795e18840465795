from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from common.errors import DomainError, add_to_form
from common.forms import describe_fields
from common.views import CellFormView

from . import geocoding, opening, selectors, services
from .forms import CellForm, ClosureForm, OpeningHoursForm, TerritoryCommuneAddForm, TerritoryForm, commune_label
from .models import Cell, Territory


class CommuneSearch(CellMixin, TemplateView):
    """Suggestions for a commune input: `<option>`s for its datalist (htmx). `scope=all` searches all of France."""

    permission = Perm.COMMUNE_SEARCH
    template_name = "territory/_commune_options.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        field = self.request.GET.get("field", "q")
        query = self.request.GET.get(field) or self.request.GET.get("q", "")
        within = None if self.request.GET.get("scope") == "all" else self.cell
        context["options"] = [commune_label(c) for c in selectors.commune_search(query, cell=within)]
        return context


class AddressSuggestions(CellMixin, View):
    """Street addresses for a type-ahead field, as JSON, from BAN through this server (the browser never calls another
    host: the Content-Security-Policy keeps connect-src to 'self'). `q` is what was typed, `commune` an INSEE code
    to search within. An empty list when geocoding is off; 429 past the per-user limit; 503 when BAN fails."""

    permission = Perm.ADDRESS_SEARCH
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not geocoding.ban_enabled():
            return JsonResponse({"suggestions": []})
        if not geocoding.suggestion_allowed(user_id=self.membership.user_id):
            return JsonResponse({"suggestions": [], "error": "throttled"}, status=429)
        commune = selectors.commune_by_code(request.GET.get("commune", ""))
        try:
            features = geocoding.suggest(request.GET.get("q", ""), commune=commune)
        except geocoding.BanUnavailable:
            return JsonResponse({"suggestions": [], "error": "unavailable"}, status=503)
        return JsonResponse({"suggestions": selectors.address_suggestions(features)})


class TerritoryList(CellMixin, TemplateView):
    permission = Perm.TERRITORY_VIEW
    template_name = "territory/territory_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            territories=selectors.territory_list(self.cell),
            opening_hours=selectors.opening_hours_summary(self.cell),
            closures=selectors.closures_ahead(self.cell, timezone.localdate())[:5],
            closed_now=opening.closed_until_label(self.cell, timezone.now()),
        )
        return context


class TerritoryDetail(CellMixin, TemplateView):
    """A territory's communes, and for the cell administrator a form to add one (any commune of France)."""

    permission = Perm.TERRITORY_VIEW
    template_name = "territory/territory_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        territory = selectors.territory_get(self.cell, self.kwargs["pk"])
        form = kwargs.get("add_form") or TerritoryCommuneAddForm(cell=self.cell)
        describe_fields(form)
        communes = list(territory.communes.order_by("search_name"))
        context.update(
            territory=territory,
            communes=communes,
            commune_count=len(communes),
            add_form=form,
            can_manage=self.allows(Perm.TERRITORY_MANAGE),
        )
        return context


class TerritoryCommuneAdd(TerritoryDetail):
    permission = Perm.TERRITORY_MANAGE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        territory = selectors.territory_get(self.cell, kwargs["pk"])
        form = TerritoryCommuneAddForm(request.POST, cell=self.cell)
        if form.is_valid():
            try:
                services.territory_add_commune(territory=territory, commune=form.cleaned_data["commune"])
            except DomainError as error:
                add_to_form(form, error)
        if form.errors:
            return self.render_to_response(self.get_context_data(add_form=form), status=422)
        messages.success(request, gettext("%(commune)s added.") % {"commune": form.cleaned_data["commune"]})
        return HttpResponseRedirect(
            reverse("territory:territory_detail", kwargs={"cell": self.cell.slug, "pk": territory.pk})
        )


class TerritoryCommuneRemove(CellMixin, TemplateView):
    permission = Perm.TERRITORY_MANAGE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        territory = selectors.territory_get(self.cell, kwargs["pk"])
        commune = get_object_or_404(territory.communes, pk=kwargs["commune_pk"])
        try:
            services.territory_remove_commune(territory=territory, commune=commune)
        except DomainError as error:
            if getattr(request, "htmx", False):
                # htmx does not swap a 4xx: answer 200 with the row unchanged and the reason spoken and shown.
                response = render(request, "territory/_commune_kept.html", {"message": error.message})
                response["HX-Reswap"] = "none"
                return response
            messages.error(request, str(error.message))
            return HttpResponseRedirect(
                reverse("territory:territory_detail", kwargs={"cell": self.cell.slug, "pk": territory.pk})
            )
        if getattr(request, "htmx", False):
            # The row goes; the count and a spoken confirmation are swapped out of band.
            return render(
                request,
                "territory/_commune_removed.html",
                {"commune": commune, "commune_count": territory.communes.count()},
            )
        messages.success(request, gettext("%(commune)s removed.") % {"commune": commune})
        return HttpResponseRedirect(
            reverse("territory:territory_detail", kwargs={"cell": self.cell.slug, "pk": territory.pk})
        )


class TerritoryEdit(CellFormView):
    permission = Perm.TERRITORY_MANAGE
    form_class = TerritoryForm
    cancel_url_name = "territory:territory_list"
    detail_url_name = "territory:territory_detail"

    @property
    def title(self) -> str:  # type: ignore[override]
        return gettext("Edit the territory") if self.object else gettext("New territory")

    def get_object(self) -> Territory | None:
        return selectors.territory_get(self.cell, self.kwargs["pk"]) if "pk" in self.kwargs else None

    def save(self, form: TerritoryForm) -> Model:
        return services.territory_save(
            cell=self.cell,
            territory=cast(Territory | None, self.object),
            name=form.cleaned_data["name"],
            finess=form.cleaned_data["finess"],
        )

    def success_url_for(self, obj: Model) -> str:
        return reverse("territory:territory_detail", kwargs={"cell": self.cell.slug, "pk": obj.pk})

    def success_message(self, obj: Model) -> str:
        return gettext("Territory “%(name)s” saved.") % {"name": obj}


class CellSettings(CellFormView):
    """The cell's own details, for its administrator (cells are created by the platform administrator)."""

    permission = Perm.CELL_MANAGE
    form_class = CellForm
    cancel_url_name = "territory:territory_list"
    title = _("The cell")

    def get_object(self) -> Cell:
        return self.cell

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = reverse("territory:territory_list", kwargs={"cell": self.cell.slug})
        return context

    def save(self, form: CellForm) -> Model:
        return services.cell_update(cell=self.cell, **form.cleaned_data)

    def success_url_for(self, obj: Model) -> str:
        return reverse("territory:territory_list", kwargs={"cell": self.cell.slug})

    def success_message(self, obj: Model) -> str:
        return gettext("The cell's details are saved.")


class OpeningHours(CellMixin, TemplateView):
    """The cell's weekly hours (a grid of days and ranges) and its closures, for its administrator."""

    permission = Perm.CELL_MANAGE
    template_name = "territory/opening_hours.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        hours_form = kwargs.get("hours_form") or OpeningHoursForm(cell=self.cell)
        closure_form = kwargs.get("closure_form") or ClosureForm(prefix="closure")
        describe_fields(hours_form)
        describe_fields(closure_form)
        context.update(
            hours_form=hours_form,
            closure_form=closure_form,
            closures=list(selectors.closures_ahead(self.cell, timezone.localdate())),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = OpeningHoursForm(request.POST, cell=self.cell)
        if form.is_valid():
            try:
                services.opening_hours_set(
                    cell=self.cell,
                    days=form.days(),
                    open_on_public_holidays=form.cleaned_data["open_on_public_holidays"],
                )
            except DomainError as error:
                add_to_form(form, error)
        if form.errors:
            return self.render_to_response(self.get_context_data(hours_form=form), status=422)
        messages.success(request, gettext("The opening hours are saved."))
        return HttpResponseRedirect(reverse("territory:opening_hours", kwargs={"cell": self.cell.slug}))


class ClosureAdd(OpeningHours):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ClosureForm(request.POST, prefix="closure")
        if form.is_valid():
            try:
                services.closure_add(cell=self.cell, **form.cleaned_data)
            except DomainError as error:
                add_to_form(form, error)
        if form.errors:
            return self.render_to_response(self.get_context_data(closure_form=form), status=422)
        messages.success(request, gettext("Closure added."))
        return HttpResponseRedirect(reverse("territory:opening_hours", kwargs={"cell": self.cell.slug}))


class ClosureRemove(CellMixin, View):
    permission = Perm.CELL_MANAGE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        closure = selectors.closure_get(self.cell, kwargs["pk"])
        services.closure_remove(cell=self.cell, closure_id=closure.pk)
        messages.success(request, gettext("Closure removed."))
        return HttpResponseRedirect(reverse("territory:opening_hours", kwargs={"cell": self.cell.slug}))
