"""Pro Santé Connect login (accounts/psc.py speaks the protocol), the waiting page of a professional no cell knows
yet, and the cell administrator's screens to approve or refuse them.

A PSC login is a strong authentication (CPS card or e-CPS app): the session needs no TOTP code on top
(`two_factor.strong_login_record`). It is written to the access log like a password login ("psc" in its detail), and
the session limits apply as to any other.
"""

from __future__ import annotations

import time
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.http import require_GET

from audit.models import AccessAction
from audit.services import access_record
from common.forms import describe_fields
from common.views import CellFormView, CellListView, Column
from territory.models import Cell

from . import psc, selectors, services, two_factor
from .backends import PSC_BACKEND
from .filters import PscRequestFilter
from .forms import PscAccessRequestForm, PscDecisionForm
from .models import PscAccessRequest, PscAccessStatus, User
from .policies import PUBLIC, Perm, declare

# The verified identity of a professional no cell knows, between the callback and their request (not a login).
PSC_IDENTITY = "aiguillage_psc_identity"
PSC_IDENTITY_SECONDS = 30 * 60
# The ID token of a session opened through PSC, for the logout at PSC (id_token_hint).
PSC_ID_TOKEN = "aiguillage_psc_id_token"  # noqa: S105 (a session key's name)
PSC_NEXT = "aiguillage_psc_next"
# The invitation link a visitor was accepting when they left for PSC: an identity no cell knows goes back to it.
INVITATION_TOKEN = "aiguillage_invitation_token"  # noqa: S105 (a session key's name)

SEVERAL_ACCOUNTS = _(
    "Several Aiguillage accounts are linked to your RPPS number: log in with your username, or ask your cell to "
    "sort it out."
)
ACCESS_CLOSED = _("Your access to Aiguillage was closed by your cell. Contact the cell if this is a mistake.")
IDENTITY_EXPIRED = _("Log in with Pro Santé Connect again to ask for access.")


def _refused(request: HttpRequest, reason: str, message: Any) -> HttpResponse:
    access_record(action=AccessAction.LOGIN_FAILED, object_type="session", actor="psc", detail=f"psc: {reason}")
    messages.error(request, message)
    return redirect("accounts:login")


@declare(PUBLIC)
@require_GET
def psc_start(request: HttpRequest) -> HttpResponse:
    """The "Se connecter avec Pro Santé Connect" button: off to PSC, to come back to `psc_callback`."""
    if not psc.enabled():
        raise Http404
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        request.session[PSC_NEXT] = target
    try:
        return psc.authorization_redirect(request)
    except psc.PscError as error:
        return _refused(request, error.reason, error.message)


@declare(PUBLIC)
@require_GET
def psc_callback(request: HttpRequest) -> HttpResponse:
    """PSC's answer: the professional's account is logged in, or a professional no cell knows is asked which cell
    they want to join, or the login is refused (and logged) with the reason in words."""
    if not psc.enabled():
        raise Http404
    try:
        identity = psc.identity_from_callback(request)
    except psc.PscError as error:
        return _refused(request, error.reason, error.message)
    match = selectors.psc_match(identity.rpps)
    if match.several_accounts:
        return _refused(request, "several accounts for one RPPS", SEVERAL_ACCOUNTS)
    if match.access_closed:
        return _refused(request, "access closed", ACCESS_CLOSED)
    if match.user is None:
        request.session[PSC_IDENTITY] = {
            "rpps": identity.rpps,
            "given_name": identity.given_name,
            "family_name": identity.family_name,
            "profession_code": identity.profession_code,
            "at": int(time.time()),
        }
        access_record(
            action=AccessAction.LOGIN_FAILED, object_type="session", actor="psc", detail="psc: no account yet"
        )
        invitation_token = request.session.get(INVITATION_TOKEN)
        if invitation_token:
            request.session.pop(PSC_NEXT, None)
            return redirect("accounts:invitation_accept", token=invitation_token)
        return redirect("accounts:psc_access_request")
    target = request.session.pop(PSC_NEXT, "") or reverse("accounts:home")
    login(request, match.user, backend=PSC_BACKEND)
    two_factor.strong_login_record(request=request, method="psc")
    request.session[PSC_ID_TOKEN] = identity.id_token
    return redirect(target)


class PscAccessRequestView(View):
    """The professional authenticated by PSC whom no cell knows: they choose a cell and their request waits for its
    administrator; logging in again while it waits shows this page again, with the request's state."""

    permission = PUBLIC
    template_name = "accounts/psc_access_request.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        identity = request.session.get(PSC_IDENTITY)
        if not isinstance(identity, dict) or time.time() - identity.get("at", 0) > PSC_IDENTITY_SECONDS:
            request.session.pop(PSC_IDENTITY, None)
            messages.info(request, IDENTITY_EXPIRED)
            return redirect("accounts:login")
        self.identity: dict[str, Any] = identity
        self.latest = selectors.psc_latest_request(identity["rpps"])
        return cast(HttpResponse, super().dispatch(request, *args, **kwargs))

    def _cells(self) -> QuerySet[Cell]:
        return Cell.objects.order_by("name")

    def _form(self, data: Any = None) -> PscAccessRequestForm:
        known = selectors.cells_knowing_rpps(self.identity["rpps"]).first()
        form = PscAccessRequestForm(data, cells=self._cells(), initial={"cell": known.pk if known else None})
        describe_fields(form)
        return form

    def _render(self, form: PscAccessRequestForm | None) -> HttpResponse:
        may_ask = self.latest is None or self.latest.status == PscAccessStatus.APPROVED
        context = {
            "identity": self.identity,
            "latest": self.latest,
            "form": form if may_ask else None,
            "known_cells": list(selectors.cells_knowing_rpps(self.identity["rpps"])),
            "statuses": PscAccessStatus,
        }
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(self._form())

    def post(self, request: HttpRequest) -> HttpResponse:
        if self.latest is not None and self.latest.status != PscAccessStatus.APPROVED:
            return redirect("accounts:psc_access_request")
        form = self._form(request.POST)
        if not form.is_valid():
            return self._render(form)
        self.latest = services.psc_access_request_create(
            rpps=self.identity["rpps"],
            given_name=self.identity["given_name"],
            family_name=self.identity["family_name"],
            profession_code=self.identity["profession_code"],
            cell=form.cleaned_data["cell"],
        )
        access_record(
            action=AccessAction.SECURITY,
            object_type="membership",
            actor="psc",
            cell=self.latest.cell_id,
            detail=f"access asked through Pro Santé Connect by RPPS {self.latest.rpps}",
        )
        return redirect("accounts:psc_access_request")


class PscRequestList(CellListView):
    permission = Perm.MEMBERS_MANAGE
    filterset_class = PscRequestFilter
    title = _("Pro Santé Connect access requests")
    columns = [
        Column(_("Name"), "family_name", link=True),
        Column(_("First name"), "given_name"),
        Column(_("RPPS"), "rpps"),
        Column(_("Status"), "status"),
        Column(_("Asked at"), "created_at"),
        Column(_("Decided by"), "decided_by"),
    ]
    detail_url_name = "accounts:psc_request_decide"
    empty_label = _("No access request matches.")

    def base_queryset(self) -> QuerySet[PscAccessRequest]:
        return selectors.psc_request_list(self.cell)


class PscRequestDecide(CellFormView):
    """The cell administrator approves (as a requester of the type they choose) or refuses a professional who asked
    through Pro Santé Connect."""

    permission = Perm.MEMBERS_MANAGE
    form_class = PscDecisionForm
    cancel_url_name = "accounts:psc_request_list"
    title = _("Pro Santé Connect access request")
    template_name = "accounts/psc_request_decide.html"

    def get_object(self) -> PscAccessRequest:
        return selectors.psc_request_get(self.cell, self.kwargs["pk"])

    def get_initial(self) -> dict[str, Any]:
        access_request = cast(PscAccessRequest, self.object)
        return {"requester_type": services.PSC_REQUESTER_TYPES.get(access_request.profession_code, "")}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        access_request = cast(PscAccessRequest, self.object)
        context["access_request"] = access_request
        context["in_directory"] = selectors.professional_with_rpps(self.cell, access_request.rpps)
        context["pending"] = access_request.status == PscAccessStatus.PENDING
        return context

    def save(self, form: PscDecisionForm) -> Model:
        access_request = cast(PscAccessRequest, self.object)
        admin = cast(User, self.request.user)
        if form.cleaned_data["decision"] == PscDecisionForm.APPROVE:
            membership = services.psc_access_request_approve(
                access_request=access_request, decided_by=admin, requester_type=form.cleaned_data["requester_type"]
            )
            detail = (
                f"{membership.user.username} created: requester, active (Pro Santé Connect, RPPS {access_request.rpps})"
            )
        else:
            access_request = services.psc_access_request_refuse(access_request=access_request, decided_by=admin)
            detail = f"Pro Santé Connect access refused to RPPS {access_request.rpps}"
        access_record(action=AccessAction.SECURITY, object_type="membership", cell=self.cell, detail=detail)
        return access_request

    def success_url_for(self, obj: Model) -> str:
        return reverse("accounts:psc_request_list", kwargs={"cell": self.cell.slug})

    def success_message(self, obj: Model) -> str:
        access_request = PscAccessRequest.objects.get(pk=obj.pk)
        if access_request.status == PscAccessStatus.APPROVED:
            return gettext("%(name)s may now log in with Pro Santé Connect.") % {"name": access_request}
        return gettext("Access refused to %(name)s.") % {"name": access_request}


def psc_logout_context(request: HttpRequest) -> dict[str, Any] | None:
    """Before logging out a session opened through PSC: the address that also ends the PSC session, if any."""
    id_token = request.session.get(PSC_ID_TOKEN)
    if not id_token or not psc.enabled():
        return None
    url = psc.end_session_url(
        id_token=id_token,
        post_logout_redirect_uri=str(settings.AIGUILLAGE_BASE_URL).rstrip("/") + reverse("accounts:login"),
    )
    return {"psc_logout_url": url} if url else None
