"""Generic cell screens (list with search, filters and pagination; create; edit) that the domain apps configure.

Views stay thin: the queryset comes from a selector scoped to the cell, the write from a service; a `DomainError`
from the service lands on the form field it names, and nothing is saved.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.views.generic import FormView, ListView
from phonenumber_field.phonenumber import PhoneNumber

from accounts.policies import CellMixin, Perm
from common.errors import DomainError, add_to_form
from common.forms import describe_fields


class Column:
    """One column of a list screen: a label and how to read the value from a row."""

    def __init__(self, label: str | Promise, attr: str, *, link: bool = False) -> None:
        self.label, self.attr, self.link = label, attr, link

    def value(self, obj: Model) -> Any:
        value: Any = obj
        for part in self.attr.split("."):
            display = getattr(value, f"get_{part}_display", None)
            value = display() if display else getattr(value, part, "")
            if value is None:
                return ""
        value = value() if callable(value) else value
        if isinstance(value, PhoneNumber):
            return value.as_national
        return value


class CellListView(CellMixin, ListView):
    template_name = "common/list.html"
    filterset_class: ClassVar[type]
    columns: ClassVar[list[Column]]
    title: ClassVar[str | Promise]
    detail_url_name: ClassVar[str]
    create_url_name: ClassVar[str | None] = None
    create_permission: ClassVar[Perm | None] = None
    create_label: ClassVar[str | Promise] = ""
    empty_label: ClassVar[str | Promise] = ""

    def get_paginate_by(self, queryset: Any) -> int:
        return int(settings.AIGUILLAGE_PAGE_SIZE)

    def base_queryset(self) -> QuerySet[Any]:
        raise ImproperlyConfigured(f"{type(self).__name__} must define base_queryset() from a selector.")

    def get_queryset(self) -> QuerySet[Any]:
        self.filterset = self.filterset_class(self.request.GET or None, queryset=self.base_queryset(), cell=self.cell)
        queryset: QuerySet[Any] = self.filterset.qs
        return queryset

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:  # type: ignore[attr-defined]
            return ["common/_list_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows = [(obj, [(column, column.value(obj)) for column in self.columns]) for obj in context["object_list"]]
        query = self.request.GET.copy()
        query.pop("page", None)
        can_create = self.create_url_name and self.create_permission and self.allows(self.create_permission)
        context.update(
            title=self.title,
            columns=self.columns,
            rows=rows,
            filter=self.filterset,
            query_without_page=query.urlencode(),
            detail_url_name=self.detail_url_name,
            create_url=reverse(self.create_url_name, kwargs={"cell": self.cell.slug}) if can_create else None,
            create_label=self.create_label,
            empty_label=self.empty_label,
        )
        return context


class CellFormView(CellMixin, FormView):
    """Create (no `pk`) or edit (`pk`) one object of the cell through a service."""

    template_name = "common/form.html"
    title: ClassVar[str | Promise]
    cancel_url_name: ClassVar[str]
    detail_url_name: ClassVar[str | None] = None
    object: Model | None

    def get_object(self) -> Model | None:
        return None

    def setup_object(self) -> None:
        self.object = self.get_object()

    def get_form_kwargs(self) -> dict[str, Any]:
        self.setup_object()
        kwargs = super().get_form_kwargs()
        kwargs["cell"] = self.cell
        if self.object is not None:
            kwargs["instance"] = self.object
        return kwargs

    def save(self, form: Any) -> Model:
        raise ImproperlyConfigured(f"{type(self).__name__} must define save() calling a service.")

    def success_url_for(self, obj: Model) -> str:
        raise ImproperlyConfigured(f"{type(self).__name__} must define success_url_for().")

    def success_message(self, obj: Model) -> str:
        return ""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            obj = self.save(form)
        except (DomainError, ValidationError) as error:
            add_to_form(form, error)
            return self.form_invalid(form)
        message = self.success_message(obj)
        if message:
            messages.success(self.request, message)
        return HttpResponseRedirect(self.success_url_for(obj))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.object is not None and self.detail_url_name:
            cancel_url = reverse(self.detail_url_name, kwargs={"cell": self.cell.slug, "pk": self.object.pk})
        else:
            cancel_url = reverse(self.cancel_url_name, kwargs={"cell": self.cell.slug})
        context.update(title=self.title, object=self.object, cancel_url=cancel_url)
        describe_fields(context["form"])
        return context


class CellSettingsEdit(CellFormView):
    """One of the cell's settings (a model form on the cell's settings object, made with defaults when the cell has
    none yet), edited by the cell administrator, back to the cell's home with "Settings saved."."""

    permission = Perm.CELL_MANAGE
    cancel_url_name = "accounts:cell_home"

    def save(self, form: Any) -> Model:
        saved: Model = form.save()
        return saved

    def success_url_for(self, obj: Model) -> str:
        return reverse("accounts:cell_home", kwargs={"cell": self.cell.slug})

    def success_message(self, obj: Model) -> str:
        return gettext("Settings saved.")
