"""Invitations: the cell administrator invites a person by e-mail (and sees, sends again or withdraws the
invitations); the invited person opens the single-use link, chooses a password (or logs in with Pro Santé Connect, or
with the account they already have) and sets up their second factor before the cell opens."""

from __future__ import annotations

import time
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import login
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from audit.models import AccessAction
from audit.services import access_record
from common.errors import DomainError, add_to_form
from common.forms import describe_fields
from common.views import CellFormView

from . import psc, selectors, services, two_factor
from .backends import PSC_BACKEND
from .forms import InvitationAcceptForm, InvitationForm
from .models import Invitation, Membership, User
from .policies import PUBLIC, CellMixin, Perm
from .psc_views import INVITATION_TOKEN, PSC_IDENTITY, PSC_IDENTITY_SECONDS

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"  # noqa: S105 (a backend's path)


def _event(what: str, *, cell: Any, detail: str, user: User | None = None) -> None:
    access_record(action=AccessAction.SECURITY, object_type=what, cell=cell, detail=detail, user=user)


def _gone(request: HttpRequest, error: DomainError) -> HttpResponse:
    """A link never valid answers 404; one that was (used, expired, withdrawn) 410: the reason in words either way."""
    status = 410 if isinstance(error, services.InvitationGone) else 404
    return render(request, "accounts/invitation_gone.html", {"reason": error.message}, status=status)


class InvitationCreate(CellFormView):
    permission = Perm.MEMBERS_MANAGE
    form_class = InvitationForm
    cancel_url_name = "accounts:member_list"
    title = _("Invite a person")

    def save(self, form: InvitationForm) -> Model:
        invitation = services.invitation_create(
            cell=self.cell, invited_by=cast(User, self.request.user), **form.cleaned_data
        )
        _event("invitation", cell=self.cell, detail=f"invited {invitation.email} as {invitation.role}")
        return invitation

    def success_url_for(self, obj: Model) -> str:
        return reverse("accounts:member_list", kwargs={"cell": self.cell.slug})

    def success_message(self, obj: Model) -> str:
        return gettext("Invitation sent to %(email)s.") % {"email": cast(Invitation, obj).email}


class InvitationResend(CellMixin, View):
    """A new link by e-mail (the previous one stops working), valid 7 more days."""

    permission = Perm.MEMBERS_MANAGE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        invitation = selectors.invitation_get(self.cell, kwargs["pk"])
        try:
            services.invitation_resend(invitation=invitation)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            _event("invitation", cell=self.cell, detail=f"sent again to {invitation.email}")
            messages.success(request, gettext("Invitation sent again to %(email)s.") % {"email": invitation.email})
        return redirect("accounts:member_list", cell=self.cell.slug)


class InvitationRevoke(CellMixin, View):
    """The link stops working at once."""

    permission = Perm.MEMBERS_MANAGE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        invitation = selectors.invitation_get(self.cell, kwargs["pk"])
        try:
            services.invitation_revoke(invitation=invitation)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            _event("invitation", cell=self.cell, detail=f"withdrawn for {invitation.email}")
            messages.success(request, gettext("Invitation to %(email)s withdrawn.") % {"email": invitation.email})
        return redirect("accounts:member_list", cell=self.cell.slug)


class InvitationAccept(View):
    """The link of the e-mail. An unknown link answers 404, a used, expired or withdrawn one 410, with the reason in
    words and nothing created. A visitor who is logged in joins with their account; one whom Pro Santé Connect just
    identified (and no cell knows) joins with that identity; else a new account with the password they choose,
    unless an account already has the invited address (they log in with it first). Then the second factor."""

    permission = PUBLIC
    template_name = "accounts/invitation_accept.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.token: str = kwargs["token"]
        try:
            self.invitation = services.invitation_open(self.token)
        except DomainError as error:
            return _gone(request, error)
        return cast(HttpResponse, super().dispatch(request, *args, **kwargs))

    def _psc_identity(self) -> dict[str, Any] | None:
        identity = self.request.session.get(PSC_IDENTITY)
        if self.request.session.get(INVITATION_TOKEN) != self.token or not isinstance(identity, dict):
            return None
        if time.time() - identity.get("at", 0) > PSC_IDENTITY_SECONDS:
            return None
        return identity

    def _render(self, form: InvitationAcceptForm | None = None, error: Any = None) -> HttpResponse:
        user = self.request.user
        logged_in = user if isinstance(user, User) and user.is_authenticated else None
        identity = self._psc_identity()
        existing = logged_in is None and User.objects.filter(email__iexact=self.invitation.email).exists()
        if form is None and logged_in is None and identity is None and not existing:
            form = InvitationAcceptForm()
        if form is not None:
            describe_fields(form)
        here = self.request.path
        context = {
            "invitation": self.invitation,
            "form": form,
            "error": error,
            "logged_in": logged_in,
            "existing_account": existing,
            "psc_identity": identity,
            "psc_enabled": psc.enabled(),
            "psc_url": reverse("accounts:psc_start") + "?" + urlencode({"next": here}),
            "login_url": reverse("accounts:login") + "?" + urlencode({"next": here}),
        }
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Kept for the Pro Santé Connect callback, which brings an identity no cell knows back here.
        request.session[INVITATION_TOKEN] = self.token
        return self._render()

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action", "")
        user = request.user
        identity = self._psc_identity()
        try:
            if action == "join" and isinstance(user, User) and user.is_authenticated:
                return self._joined(services.invitation_accept_for_user(token=self.token, user=user), how="account")
            if action == "psc" and identity is not None:
                membership = services.invitation_accept_with_psc(
                    token=self.token,
                    rpps=identity["rpps"],
                    given_name=identity["given_name"],
                    family_name=identity["family_name"],
                )
                request.session.pop(PSC_IDENTITY, None)
                login(request, membership.user, backend=PSC_BACKEND)
                two_factor.strong_login_record(request=request, method="psc")
                return self._joined(membership, how="psc")
        except services.InvitationGone as error:
            return _gone(request, error)
        except DomainError as error:
            return self._render(error=error.message)
        form = InvitationAcceptForm(request.POST)
        if not form.is_valid():
            return self._render(form)
        try:
            membership = services.invitation_accept_new_account(
                token=self.token,
                username=form.cleaned_data["username"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except services.InvitationGone as error:
            return _gone(request, error)
        except DomainError as error:
            add_to_form(form, error)
            return self._render(form)
        login(request, membership.user, backend=PASSWORD_BACKEND)
        return self._joined(membership, how="new account")

    def _joined(self, membership: Membership, *, how: str) -> HttpResponse:
        self.request.session.pop(INVITATION_TOKEN, None)
        _event(
            "invitation",
            cell=membership.cell_id,
            user=membership.user,
            detail=f"accepted by {membership.user.username} ({how}) as {membership.role}",
        )
        messages.success(self.request, gettext("Welcome to %(cell)s.") % {"cell": membership.cell.name})
        home = reverse("accounts:cell_home", kwargs={"cell": membership.cell.slug})
        # The second factor before the cell: the middleware would send there too; a new account goes straight on.
        if two_factor.needs_second_factor(membership.user) and not two_factor.session_is_verified(self.request):
            target = "accounts:otp_verify" if two_factor.is_enrolled(membership.user) else "accounts:otp_setup"
            return redirect(reverse(target) + "?" + urlencode({"next": home}))
        return redirect(home)
