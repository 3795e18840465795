from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, TemplateView

from accounts.policies import CellMixin, Perm
from common.errors import DomainError
from common.exports import spreadsheet_response
from common.views import CellFormView, CellListView, Column

from . import selectors, services
from .filters import ProfessionalFilter, ResourceFilter, SiteFilter
from .forms import (
    IMPORT_PROFESSION_CHOICES,
    AnnuaireImportForm,
    PoolAgreementEndForm,
    PoolAgreementOfferForm,
    ProfessionalForm,
    ResourceForm,
    SiteForm,
)
from .importer import issue_rows
from .models import AnnuaireImport, PoolAgreement, Professional, ReorientationResource, Site


class SiteList(CellListView):
    permission = Perm.DIRECTORY_VIEW
    filterset_class = SiteFilter
    title = _("Sites")
    columns = [
        Column(_("Name"), "name", link=True),
        Column(_("Kind"), "kind"),
        Column(_("Commune"), "commune"),
        Column(_("Phone"), "phone"),
        Column(_("Professionals"), "professional_count"),
    ]
    detail_url_name = "directory:site_detail"
    create_url_name = "directory:site_create"
    create_permission = Perm.DIRECTORY_MANAGE
    create_label = _("Add a site")
    empty_label = _("No site matches.")

    def base_queryset(self) -> QuerySet[Site]:
        return selectors.site_list(self.cell)


class SiteDetail(CellMixin, DetailView):
    permission = Perm.DIRECTORY_VIEW
    template_name = "directory/site_detail.html"
    context_object_name = "site"

    def get_object(self, queryset: QuerySet[Any] | None = None) -> Site:
        return selectors.site_get(self.cell, self.kwargs["pk"])


class SiteEdit(CellFormView):
    permission = Perm.DIRECTORY_MANAGE
    form_class = SiteForm
    cancel_url_name = "directory:site_list"
    detail_url_name = "directory:site_detail"

    @property
    def title(self) -> str:  # type: ignore[override]
        return gettext("Edit the site") if self.object else gettext("New site")

    def get_object(self) -> Site | None:
        return selectors.site_get(self.cell, self.kwargs["pk"]) if "pk" in self.kwargs else None

    def save(self, form: SiteForm) -> Model:
        return services.site_save(cell=self.cell, site=cast(Site | None, self.object), **form.cleaned_data)

    def success_url_for(self, obj: Model) -> str:
        return reverse("directory:site_detail", kwargs={"cell": self.cell.slug, "pk": obj.pk})

    def success_message(self, obj: Model) -> str:
        return gettext("Site “%(name)s” saved.") % {"name": obj}


class ProfessionalList(CellListView):
    permission = Perm.DIRECTORY_VIEW
    filterset_class = ProfessionalFilter
    title = _("Professionals")
    columns = [
        Column(_("Name"), "full_name", link=True),
        Column(_("Profession"), "profession"),
        Column(_("RPPS / ADELI"), "identifier"),
        Column(_("Sites"), "site_names"),
        Column(_("Teleconsultant tier"), "teleconsultant_tier"),
        Column(_("Adherent"), "is_adherent"),
    ]
    detail_url_name = "directory:professional_detail"
    create_url_name = "directory:professional_create"
    create_permission = Perm.DIRECTORY_MANAGE
    create_label = _("Add a professional")
    empty_label = _("No professional matches.")

    def base_queryset(self) -> QuerySet[Professional]:
        return selectors.professional_list(self.cell)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        actions = []
        if self.allows(Perm.DIRECTORY_IMPORT):
            url = reverse("directory:import_start", kwargs={"cell": self.cell.slug})
            actions.append((url, gettext("Import from the Annuaire Santé")))
        if self.allows(Perm.DIRECTORY_MANAGE):
            actions.append((reverse("directory:pool_list", kwargs={"cell": self.cell.slug}), gettext("Shared pools")))
        if actions:
            context["extra_actions"] = actions
        return context


class ProfessionalDetail(CellMixin, DetailView):
    permission = Perm.DIRECTORY_VIEW
    template_name = "directory/professional_detail.html"
    context_object_name = "professional"

    def get_object(self, queryset: QuerySet[Any] | None = None) -> Professional:
        return selectors.professional_get(self.cell, self.kwargs["pk"])


class ProfessionalEdit(CellFormView):
    permission = Perm.DIRECTORY_MANAGE
    form_class = ProfessionalForm
    cancel_url_name = "directory:professional_list"
    detail_url_name = "directory:professional_detail"

    @property
    def title(self) -> str:  # type: ignore[override]
        return gettext("Edit the professional") if self.object else gettext("New professional")

    def get_object(self) -> Professional | None:
        return selectors.professional_get(self.cell, self.kwargs["pk"]) if "pk" in self.kwargs else None

    def save(self, form: ProfessionalForm) -> Model:
        data = dict(form.cleaned_data)
        sites = data.pop("sites")
        professional = services.professional_save(
            cell=self.cell, professional=cast(Professional | None, self.object), sites=sites, **data
        )
        for warning in services.identifier_warnings(professional):
            messages.warning(self.request, warning)
        return professional

    def success_url_for(self, obj: Model) -> str:
        return reverse("directory:professional_detail", kwargs={"cell": self.cell.slug, "pk": obj.pk})

    def success_message(self, obj: Model) -> str:
        return gettext("Professional %(name)s saved.") % {"name": obj}


class ResourceList(CellListView):
    permission = Perm.RESOURCES_VIEW
    filterset_class = ResourceFilter
    title = _("Reorientation resources")
    columns = [
        Column(_("Name"), "name", link=True),
        Column(_("Kind"), "kind"),
        Column(_("Commune"), "commune"),
        Column(_("Phone"), "phone"),
        Column(_("Hours"), "hours"),
    ]
    detail_url_name = "directory:resource_detail"
    create_url_name = "directory:resource_create"
    create_permission = Perm.DIRECTORY_MANAGE
    create_label = _("Add a resource")
    empty_label = _("No resource matches.")

    def base_queryset(self) -> QuerySet[ReorientationResource]:
        return selectors.resource_list(self.cell)


class ResourceDetail(CellMixin, DetailView):
    permission = Perm.RESOURCES_VIEW
    template_name = "directory/resource_detail.html"
    context_object_name = "resource"

    def get_object(self, queryset: QuerySet[Any] | None = None) -> ReorientationResource:
        return selectors.resource_get(self.cell, self.kwargs["pk"])


class ResourceEdit(CellFormView):
    permission = Perm.DIRECTORY_MANAGE
    form_class = ResourceForm
    cancel_url_name = "directory:resource_list"
    detail_url_name = "directory:resource_detail"

    @property
    def title(self) -> str:  # type: ignore[override]
        return gettext("Edit the resource") if self.object else gettext("New reorientation resource")

    def get_object(self) -> ReorientationResource | None:
        return selectors.resource_get(self.cell, self.kwargs["pk"]) if "pk" in self.kwargs else None

    def save(self, form: ResourceForm) -> Model:
        data = dict(form.cleaned_data)
        served = data.pop("communes_served")
        return services.resource_save(
            cell=self.cell, resource=cast(ReorientationResource | None, self.object), communes_served=served, **data
        )

    def success_url_for(self, obj: Model) -> str:
        return reverse("directory:resource_detail", kwargs={"cell": self.cell.slug, "pk": obj.pk})

    def success_message(self, obj: Model) -> str:
        return gettext("Resource “%(name)s” saved.") % {"name": obj}


class AnnuaireImportStart(CellFormView):
    """The upload of the Annuaire Santé extract, and the cell's past imports."""

    permission = Perm.DIRECTORY_IMPORT
    form_class = AnnuaireImportForm
    template_name = "directory/import_start.html"
    cancel_url_name = "directory:professional_list"
    title = _("Import from the Annuaire Santé")

    def save(self, form: AnnuaireImportForm) -> Model:
        return services.annuaire_import_upload(
            cell=self.cell,
            user=self.request.user,
            upload=form.cleaned_data["file"],
            professions=form.chosen_professions(),
        )

    def success_url_for(self, obj: Model) -> str:
        return reverse("directory:import_detail", kwargs={"cell": self.cell.slug, "pk": obj.pk})

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            imports=selectors.annuaire_import_list(self.cell)[:20],
            max_upload_mb=settings.AIGUILLAGE_ANNUAIRE_MAX_UPLOAD_MB,
        )
        return context


SHOWN_ISSUES = 100


class AnnuaireImportDetail(CellMixin, DetailView):
    """An import's progress (the page polls its own fragment with htmx while the worker runs), then its summary and
    the first rejected lines."""

    permission = Perm.DIRECTORY_IMPORT
    template_name = "directory/import_detail.html"
    context_object_name = "job"

    def get_object(self, queryset: QuerySet[Any] | None = None) -> AnnuaireImport:
        return selectors.annuaire_import_get(self.cell, self.kwargs["pk"])

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["directory/_import_progress.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        job = context["job"]
        if not job.is_active:
            context["issues"] = selectors.annuaire_import_issues(job)[:SHOWN_ISSUES]
        labels = dict(IMPORT_PROFESSION_CHOICES)
        context["profession_labels"] = [str(labels.get(code, code)) for code in job.professions]
        context["shown_issues"] = SHOWN_ISSUES
        return context


class AnnuaireImportReport(CellMixin, View):
    """The rejected lines and warnings of an import, as CSV (line number, identifier, name, reason)."""

    permission = Perm.DIRECTORY_IMPORT

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        job = selectors.annuaire_import_get(self.cell, kwargs["pk"])
        return spreadsheet_response(
            "csv",
            issue_rows(selectors.annuaire_import_issues(job)),  # its first row is the heading
            headers=None,
            filename=f"aiguillage-{self.cell.slug}-annuaire-{job.created_at:%Y%m%d-%H%M}-rejets",
        )


class PoolAgreementList(CellMixin, TemplateView):
    """The cell's shared pools (decision 0021): the professionals it offers to other cells, and those other cells
    offer to it, with what the cell administrator may do to each (accept, end)."""

    permission = Perm.DIRECTORY_MANAGE
    template_name = "directory/pool_agreements.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            given=list(selectors.pool_agreements_given(self.cell)),
            received=list(selectors.pool_agreements_received(self.cell)),
            end_form=PoolAgreementEndForm(),
            today=timezone.localdate(),
        )
        return context


class PoolAgreementOffer(CellFormView):
    permission = Perm.DIRECTORY_MANAGE
    form_class = PoolAgreementOfferForm
    cancel_url_name = "directory:pool_list"
    title = _("Offer a professional to another cell")

    def save(self, form: PoolAgreementOfferForm) -> Model:
        return services.pool_agreement_offer(cell=self.cell, user=self.request.user, **form.cleaned_data)

    def success_url_for(self, obj: Model) -> str:
        return reverse("directory:pool_list", kwargs={"cell": self.cell.slug})

    def success_message(self, obj: Model) -> str:
        return gettext("%(name)s offered to %(cell)s: the agreement counts once that cell accepts it.") % {
            "name": cast(PoolAgreement, obj).professional,
            "cell": cast(PoolAgreement, obj).cell.name,
        }


class _PoolAgreementAction(CellMixin, View):
    """A POST on one agreement the cell is a party to, then back to the list with what happened."""

    permission = Perm.DIRECTORY_MANAGE

    def act(self, agreement: PoolAgreement) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        agreement = selectors.pool_agreement_get(self.cell, kwargs["pk"])
        try:
            messages.success(request, self.act(agreement))
        except DomainError as error:
            messages.error(request, str(error.message))
        return redirect("directory:pool_list", cell=self.cell.slug)


class PoolAgreementAccept(_PoolAgreementAction):
    def act(self, agreement: PoolAgreement) -> str:
        services.pool_agreement_accept(cell=self.cell, agreement=agreement, user=self.request.user)
        return gettext("Agreement accepted: %(name)s's free times are now in your finder.") % {
            "name": agreement.professional
        }


class PoolAgreementEnd(_PoolAgreementAction):
    def act(self, agreement: PoolAgreement) -> str:
        form = PoolAgreementEndForm(self.request.POST)
        if not form.is_valid():
            raise DomainError(services.POOL_END_DATE_INVALID, field="last_day")
        services.pool_agreement_end(
            cell=self.cell,
            agreement=agreement,
            user=self.request.user,
            last_day=form.cleaned_data["last_day"],
            seen=form.cleaned_data["seen"] or None,
        )
        return gettext("Agreement for %(name)s ended.") % {"name": agreement.professional}
