from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView

from accounts.policies import CellMixin, Perm
from common.views import CellFormView, CellListView, Column

from . import selectors, services
from .filters import ProfessionalFilter, ResourceFilter, SiteFilter
from .forms import ProfessionalForm, ResourceForm, SiteForm
from .models import Professional, ReorientationResource, Site


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
