from __future__ import annotations

from base64 import b32encode
from typing import Any, cast

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, RedirectView
from django_otp import login as otp_login

from audit.models import AccessAction
from audit.services import access_record
from common.errors import DomainError, add_to_form
from common.forms import describe_fields
from common.http import client_address
from common.views import CellFormView, CellListView, Column

from . import psc, selectors, services, throttle, two_factor
from .filters import MemberFilter
from .forms import EnrolmentForm, MemberAttachForm, MemberCreateForm, MemberUpdateForm, SecondFactorForm
from .models import InvitationStatus, LoginSession, Membership, User
from .policies import ACTING_ROLE_KEY, AUTHENTICATED, PUBLIC, CellMixin, Perm, declare
from .psc_views import psc_logout_context
from .signals import sessions_end


class LoginView(auth_views.LoginView):
    """Username and password, then (middleware) the second factor. Failures pause the username from this address
    (throttle.py): while paused, the password is not even checked, and the page says how long to wait."""

    permission = PUBLIC
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username, address = request.POST.get("username", "")[:150], client_address(request)
        pause = throttle.paused(username, address)
        if pause is not None:
            _security_event(AccessAction.LOGIN_FAILED, "session", actor=username, detail="while paused")
            return self._paused(pause)
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            throttle.success_record(username, address)
            return response
        pause = throttle.failure_record(username, address)
        _security_event(AccessAction.LOGIN_FAILED, "session", actor=username, detail="paused" if pause else "")
        return self._paused(pause) if pause is not None else response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["psc_enabled"] = psc.enabled()
        return context

    def _paused(self, pause: throttle.Pause) -> HttpResponse:
        form = self.get_form_class()(self.request)
        context = self.get_context_data(form=form, pause_minutes=pause.minutes)
        return self.render_to_response(context, status=429)


class SecondFactorView(FormView):
    """After the password: the code of the authenticator app (or a recovery code)."""

    permission = AUTHENTICATED
    template_name = "accounts/otp_verify.html"
    form_class = SecondFactorForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        assert isinstance(user, User)
        if two_factor.session_is_verified(request) or not two_factor.needs_second_factor(user):
            return redirect(_next_or_home(request))
        if not two_factor.is_enrolled(user):
            return redirect("accounts:otp_setup")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: SecondFactorForm) -> HttpResponse:
        user = cast(User, self.request.user)
        try:
            verified = two_factor.second_factor_check(user=user, token=form.cleaned_data["token"])
        except DomainError as error:
            _security_event(AccessAction.LOGIN_FAILED, "second_factor")
            add_to_form(form, error)
            return self.form_invalid(form)
        otp_login(self.request, verified.device)
        _security_event(
            AccessAction.LOGIN, "second_factor", detail="recovery code" if verified.with_recovery_code else "app"
        )
        if verified.with_recovery_code:
            messages.warning(
                self.request,
                gettext("Recovery code used: %(left)s left. Make new ones from your account page if needed.")
                % {"left": verified.recovery_codes_left},
            )
        return redirect(_next_or_home(self.request))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        describe_fields(context["form"])
        context["next"] = _next_or_home(self.request)
        return context


PENDING_DEVICE = "aiguillage_pending_totp_device"


class SecondFactorSetup(FormView):
    """Enrolment: scan the QR code (or type the key) in an authenticator app, confirm with its first code, keep the
    recovery codes shown once. Also the way to move to a new phone: a new app replaces the old one once confirmed."""

    permission = AUTHENTICATED
    template_name = "accounts/otp_setup.html"
    form_class = EnrolmentForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        user = request.user
        assert isinstance(user, User)
        enrolled = two_factor.is_enrolled(user)
        if enrolled and not two_factor.session_is_verified(request):
            # Replacing the app needs the second factor first: a stolen password alone must not do it.
            return redirect("accounts:otp_verify")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: EnrolmentForm) -> HttpResponse:
        user = cast(User, self.request.user)
        try:
            codes = two_factor.enrolment_confirm(
                user=user, pending_id=self.request.session.get(PENDING_DEVICE), token=form.cleaned_data["token"]
            )
        except DomainError as error:
            add_to_form(form, error)
            return self.form_invalid(form)
        device = two_factor.totp_device(user)
        assert device is not None
        otp_login(self.request, device)
        _security_event(AccessAction.SECURITY, "second_factor", detail="app enrolled")
        return render(
            self.request, "accounts/recovery_codes.html", {"codes": codes, "next": _next_or_home(self.request)}
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        device = two_factor.enrolment_start(
            user=cast(User, self.request.user), pending_id=self.request.session.get(PENDING_DEVICE)
        )
        self.request.session[PENDING_DEVICE] = device.pk
        key = b32encode(device.bin_key).decode()
        context.update(
            qr=segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
            key=" ".join(key[i : i + 4] for i in range(0, len(key), 4)),
            enrolled=two_factor.is_enrolled(cast(User, self.request.user)),
            next=_next_or_home(self.request),
        )
        describe_fields(context["form"])
        return context


class RecoveryCodesRenew(View):
    """New recovery codes (the old ones stop working), shown once."""

    permission = AUTHENTICATED

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        codes = two_factor.recovery_codes_renew(user=cast(User, request.user))
        _security_event(AccessAction.SECURITY, "second_factor", detail="recovery codes renewed")
        return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("accounts:home")})


def _next_or_home(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return reverse("accounts:home")


class LogoutView(auth_views.LogoutView):
    """Logs out; a session opened through Pro Santé Connect is then offered the logout at PSC too (a link: the CSP's
    form-action would stop a redirection to PSC after the logout form, and PSC's session may serve other services)."""

    permission = PUBLIC

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        at_psc = psc_logout_context(request)
        response = super().post(request, *args, **kwargs)
        if at_psc is not None:
            return render(request, "accounts/psc_logged_out.html", at_psc)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every account changes its own password (the validators ask for 12+ characters, not in common lists)."""

    permission = AUTHENTICATED
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:home")

    def form_valid(self, form: Any) -> HttpResponse:
        old_key = self.request.session.session_key
        response = super().form_valid(form)  # a new session key; other sessions of the account end
        LoginSession.objects.filter(session_key=old_key).update(session_key=self.request.session.session_key)
        messages.success(self.request, gettext("Your password has been changed."))
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        describe_fields(context["form"])
        return context


@declare(AUTHENTICATED)
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where a user lands after login: their cell's home; for a person of several cells, what waits for them in
    each (the desk's page, `accounts:waiting`, which can read every app it counts)."""
    assert isinstance(request.user, User)
    memberships = selectors.active_cells(request.user)
    if len(memberships) == 1:
        return redirect("accounts:cell_home", cell=memberships[0].cell.slug)
    if len(memberships) > 1:
        return redirect("accounts:waiting")
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "accounts/choose_cell.html", {"memberships": memberships})


class PersonColumn(Column):
    """A value of the person, read from their rows of the cell (`user.cell_rows`, see selectors.member_people): the
    roles they hold, whether any still gives access, or the first link a row has."""

    def value(self, obj: Model) -> Any:
        assert isinstance(obj, Membership)
        rows: list[Membership] = getattr(obj.user, "cell_rows", [obj])
        if self.attr == "roles":
            return ", ".join(
                row.get_role_display()
                if row.is_active
                else gettext("%(role)s (no access)") % {"role": row.get_role_display()}
                for row in rows
            )
        if self.attr == "is_active":
            return any(row.is_active for row in rows)
        return next((value for row in rows if (value := Column(self.label, self.attr).value(row))), "")


class MemberList(CellListView):
    """One line per person, with the roles they hold in the cell (one membership row per role)."""

    permission = Perm.MEMBERS_MANAGE
    filterset_class = MemberFilter
    title = _("Members of the cell")
    columns = [
        Column(_("Username"), "user.username", link=True),
        Column(_("Name"), "user"),
        PersonColumn(_("Roles"), "roles"),
        PersonColumn(_("Requester type"), "requester_type"),
        PersonColumn(_("Professional"), "professional"),
        PersonColumn(_("Structure"), "site"),
        PersonColumn(_("Access"), "is_active"),
    ]
    detail_url_name = "accounts:member_update"
    create_url_name = "accounts:invitation_create"
    create_permission = Perm.MEMBERS_MANAGE
    create_label = _("Invite a person")
    empty_label = _("No member matches.")
    template_name = "accounts/member_list.html"

    def base_queryset(self) -> QuerySet[Membership]:
        return selectors.membership_list(self.cell)

    def get_queryset(self) -> QuerySet[Membership]:
        return selectors.member_people(self.cell, super().get_queryset())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        attach = reverse("accounts:member_attach", kwargs={"cell": self.cell.slug})
        create = reverse("accounts:member_create", kwargs={"cell": self.cell.slug})
        context["extra_actions"] = [(attach, _("Attach an existing account")), (create, _("Add a member"))]
        now = timezone.now()
        context["invitations"] = [
            (invitation, status, InvitationStatus(status).label)
            for invitation in selectors.invitation_list(self.cell)[:100]
            for status in [invitation.status_at(now)]
        ]
        waiting = selectors.psc_pending_count(self.cell)
        if psc.enabled() or waiting:
            label = gettext("Pro Santé Connect requests (%(count)s waiting)") % {"count": waiting}
            context["extra_actions"].append(
                (reverse("accounts:psc_request_list", kwargs={"cell": self.cell.slug}), label)
            )
        return context


class MemberCreate(CellFormView):
    permission = Perm.MEMBERS_MANAGE
    form_class = MemberCreateForm
    cancel_url_name = "accounts:member_list"
    title = _("New member")

    def save(self, form: MemberCreateForm) -> Model:
        created = services.member_create(cell=self.cell, **form.cleaned_data)
        _membership_event(created, "created")
        return created

    def success_url_for(self, obj: Model) -> str:
        return reverse("accounts:member_list", kwargs={"cell": self.cell.slug})

    def success_message(self, obj: Model) -> str:
        return gettext("Member %(name)s created.") % {"name": obj}


class MemberAttach(CellFormView):
    permission = Perm.MEMBERS_MANAGE
    form_class = MemberAttachForm
    cancel_url_name = "accounts:member_list"
    title = _("Attach an existing account")

    def get_initial(self) -> dict[str, Any]:
        # "Add a role" on a member's page comes here with the account named.
        return {name: self.request.GET.get(name, "")[:254] for name in ("username", "email")}

    def save(self, form: MemberAttachForm) -> Model:
        attached = services.member_attach(cell=self.cell, **form.cleaned_data)
        _membership_event(attached, "attached")
        return attached

    def success_url_for(self, obj: Model) -> str:
        return reverse("accounts:member_list", kwargs={"cell": self.cell.slug})

    def success_message(self, obj: Model) -> str:
        return gettext("Account %(name)s attached to the cell.") % {"name": obj}


class MemberUpdate(CellFormView):
    permission = Perm.MEMBERS_MANAGE
    form_class = MemberUpdateForm
    cancel_url_name = "accounts:member_list"
    title = _("Edit the member")
    template_name = "accounts/member_update.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        assert isinstance(self.object, Membership)
        context["second_factor_enrolled"] = two_factor.is_enrolled(self.object.user)
        context["person_rows"] = selectors.person_rows(self.object)
        user = self.object.user
        attach = reverse("accounts:member_attach", kwargs={"cell": self.cell.slug})
        context["add_role_url"] = f"{attach}?{urlencode({'username': user.username, 'email': user.email})}"
        return context

    def get_object(self) -> Membership:
        return selectors.membership_get(self.cell, self.kwargs["pk"])

    def save(self, form: MemberUpdateForm) -> Model:
        assert isinstance(self.object, Membership)
        updated = services.member_update(membership=self.object, **form.cleaned_data)
        _membership_event(updated, "updated")
        return updated

    def success_url_for(self, obj: Model) -> str:
        return reverse("accounts:member_list", kwargs={"cell": self.cell.slug})

    def success_message(self, obj: Model) -> str:
        return gettext("Member %(name)s saved.") % {"name": obj}


class MemberSecondFactorReset(CellMixin, View):
    """A member lost their phone and their recovery codes: the cell administrator removes their second factor; all
    their sessions end, and they enrol a new app at their next login (their password is still needed)."""

    permission = Perm.MEMBERS_MANAGE

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = selectors.membership_get(self.cell, kwargs["pk"])
        if selectors.account_is_shared(membership):
            messages.error(
                request,
                gettext("This account is also used elsewhere: the platform administrator resets its second factor."),
            )
            return redirect("accounts:member_update", cell=self.cell.slug, pk=membership.pk)
        two_factor.second_factor_reset(user=membership.user)
        sessions_end(membership.user)
        _security_event(
            AccessAction.SECURITY, "second_factor", cell=self.cell, detail=f"reset for {membership.user.username}"
        )
        messages.success(
            request,
            gettext("Two-factor authentication of %(name)s reset: a new app is set up at the next login.")
            % {"name": membership.user},
        )
        return redirect("accounts:member_update", cell=self.cell.slug, pk=membership.pk)


class AdminLoginRedirect(RedirectView):
    """The Django admin's own login page would skip the login pauses and the second factor: it leads to ours."""

    permission = PUBLIC
    pattern_name = "accounts:login"
    query_string = True


def _security_event(action: str, what: str, *, actor: str | None = None, cell: Any = None, detail: str = "") -> None:
    """Logins, failures and changes of security settings, in the same tamper-evident log as accesses to patients."""
    access_record(action=action, object_type=what, actor=actor, cell=cell, detail=detail)


def _membership_event(membership: Membership, what: str) -> None:
    """Who was given which role, or lost access: in the cell's log."""
    state = "active" if membership.is_active else "inactive"
    detail = f"{membership.user.username} {what}: {membership.role}, {state}"
    _security_event(AccessAction.SECURITY, "membership", cell=membership.cell_id, detail=detail)


class AlertChannelEdit(CellMixin, View):
    """A member chooses how they are told what waits for them (SMS or e-mail); back to the page they came from."""

    permission = Perm.CELL_HOME
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            services.membership_alert_channel_set(
                membership=self.membership, channel=request.POST.get("alert_channel", "")
            )
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, gettext("Saved: this is how you will be told."))
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("accounts:cell_home", kwargs={"cell": self.cell.slug})
        return HttpResponseRedirect(back)


class ActingRoleSwitch(CellMixin, View):
    """A person with several roles in the cell chooses which one they act as: the home page and the pages that differ
    by role follow it (kept in the session, per cell). Their permissions stay the union of their roles."""

    permission = Perm.CELL_HOME
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        role = request.POST.get("role", "")
        rows: list[Membership] = getattr(self.acting, "rows", [self.acting])
        if role not in {row.role for row in rows}:
            raise PermissionDenied  # the form offers only the roles held: anything else is forged, nothing changes
        chosen = dict(request.session.get(ACTING_ROLE_KEY) or {})
        chosen[self.cell.slug] = role
        request.session[ACTING_ROLE_KEY] = chosen
        return redirect("accounts:cell_home", cell=self.cell.slug)
