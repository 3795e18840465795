from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from common.forms import describe_fields
from common.views import CellFormView, CellListView, Column
from referrals.selectors import queue_summary

from . import selectors, services
from .filters import MemberFilter
from .forms import MemberAttachForm, MemberCreateForm, MemberUpdateForm
from .models import Membership, Role, User
from .policies import AUTHENTICATED, PUBLIC, CellMixin, Perm, declare


class LoginView(auth_views.LoginView):
    permission = PUBLIC
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    permission = PUBLIC


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every account changes its own password (the validators ask for 12+ characters, not in common lists)."""

    permission = AUTHENTICATED
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:home")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, gettext("Your password has been changed."))
        return super().form_valid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        describe_fields(context["form"])
        return context


@declare(AUTHENTICATED)
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where a user lands after login: their cell's home, or a choice when they belong to several cells."""
    assert isinstance(request.user, User)
    memberships = list(selectors.active_memberships(request.user))
    if len(memberships) == 1:
        return redirect("accounts:cell_home", cell=memberships[0].cell.slug)
    if not memberships and request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "accounts/choose_cell.html", {"memberships": memberships})


class CellHome(CellMixin, TemplateView):
    """Each role has its own home page in the cell."""

    permission = Perm.CELL_HOME

    def get_template_names(self) -> list[str]:
        return [f"accounts/home/{self.membership.role}.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.membership.role in (Role.COORDINATOR, Role.SUPERVISOR, Role.CELL_ADMIN):
            context["overview"] = selectors.cell_overview(self.cell)
            context["queue"] = queue_summary(self.cell, timezone.now())
        return context


class MemberList(CellListView):
    permission = Perm.MEMBERS_MANAGE
    filterset_class = MemberFilter
    title = _("Members of the cell")
    columns = [
        Column(_("Username"), "user.username", link=True),
        Column(_("Name"), "user"),
        Column(_("Role"), "role"),
        Column(_("Requester type"), "requester_type"),
        Column(_("Professional"), "professional"),
        Column(_("Structure"), "site"),
        Column(_("Access"), "is_active"),
    ]
    detail_url_name = "accounts:member_update"
    create_url_name = "accounts:member_create"
    create_permission = Perm.MEMBERS_MANAGE
    create_label = _("Add a member")
    empty_label = _("No member matches.")

    def base_queryset(self) -> QuerySet[Membership]:
        return selectors.membership_list(self.cell)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        attach = reverse("accounts:member_attach", kwargs={"cell": self.cell.slug})
        context["extra_actions"] = [(attach, _("Attach an existing account"))]
        return context


class MemberCreate(CellFormView):
    permission = Perm.MEMBERS_MANAGE
    form_class = MemberCreateForm
    cancel_url_name = "accounts:member_list"
    title = _("New member")

    def save(self, form: MemberCreateForm) -> Model:
        return services.member_create(cell=self.cell, **form.cleaned_data)

    def success_url_for(self, obj: Model) -> str:
        return reverse("accounts:member_list", kwargs={"cell": self.cell.slug})

    def success_message(self, obj: Model) -> str:
        return gettext("Member %(name)s created.") % {"name": obj}


class MemberAttach(CellFormView):
    permission = Perm.MEMBERS_MANAGE
    form_class = MemberAttachForm
    cancel_url_name = "accounts:member_list"
    title = _("Attach an existing account")

    def save(self, form: MemberAttachForm) -> Model:
        return services.member_attach(cell=self.cell, **form.cleaned_data)

    def success_url_for(self, obj: Model) -> str:
        return reverse("accounts:member_list", kwargs={"cell": self.cell.slug})

    def success_message(self, obj: Model) -> str:
        return gettext("Account %(name)s attached to the cell.") % {"name": obj}


class MemberUpdate(CellFormView):
    permission = Perm.MEMBERS_MANAGE
    form_class = MemberUpdateForm
    cancel_url_name = "accounts:member_list"
    title = _("Edit the member")

    def get_object(self) -> Membership:
        return selectors.membership_get(self.cell, self.kwargs["pk"])

    def save(self, form: MemberUpdateForm) -> Model:
        assert isinstance(self.object, Membership)
        return services.member_update(membership=self.object, **form.cleaned_data)

    def success_url_for(self, obj: Model) -> str:
        return reverse("accounts:member_list", kwargs={"cell": self.cell.slug})

    def success_message(self, obj: Model) -> str:
        return gettext("Member %(name)s saved.") % {"name": obj}
