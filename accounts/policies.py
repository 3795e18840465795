"""Who may do what, per role, and the one place where a view gets its cell.

Every view declares a `permission` (a `Perm`, or `PUBLIC`). `tests/test_isolation.py` fails when a URL has none.
A user reaches a cell only through an active membership: another cell's address answers 404, and a permission the
role lacks answers 403. Objects are always looked up within `self.cell`, so another cell's object is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase
from django.views import View

from territory.models import Cell

from .models import AlertChannel, Membership, Role, User


class Perm(StrEnum):
    CELL_HOME = "cell.home"
    COMMUNE_SEARCH = "territory.commune_search"
    ADDRESS_SEARCH = "territory.address_search"  # street suggestions from BAN, when geocoding is on
    TERRITORY_VIEW = "territory.view"
    TERRITORY_MANAGE = "territory.manage"
    DIRECTORY_VIEW = "directory.view"
    DIRECTORY_MANAGE = "directory.manage"
    RESOURCES_VIEW = "directory.resources_view"
    MEMBERS_MANAGE = "accounts.members_manage"
    CELL_MANAGE = "territory.cell_manage"
    QUEUE_VIEW = "referrals.queue_view"
    REQUEST_VIEW = "referrals.request_view"
    REQUEST_HANDLE = "referrals.request_handle"
    REQUEST_SUBMIT = "referrals.request_submit"
    REQUEST_PHONE_INTAKE = "referrals.request_phone_intake"
    OWN_REQUESTS = "referrals.own_requests"
    SUPERVISOR_ANSWER = "referrals.supervisor_answer"
    ROSTER_VIEW = "referrals.roster_view"
    ROSTER_MANAGE = "referrals.roster_manage"
    PARTNERS_MANAGE = "referrals.partners_manage"
    PROTOCOL_VIEW = "referrals.protocol_view"
    PROTOCOL_MANAGE = "referrals.protocol_manage"
    SLOTS_PUBLISH = "agenda.slots_publish"
    OWN_CALENDAR = "agenda.own_calendar"
    OWN_APPOINTMENTS = "agenda.own_appointments"  # an effector's own appointments: their patients, the outcome
    AGENDA_VIEW = "agenda.view"
    AGENDA_MANAGE = "agenda.manage"  # Médicobus tours, telemedicine spots
    DAY_SHEETS = "desk.day_sheets"  # print the day's patients: the cell's staff any sheet, an effector their own
    MESSAGES_VIEW = "notifications.messages_view"  # the outbox: what was sent, to whom, whether it arrived
    # A message with health details read after logging in (docs/mssante.md): its addressee, or the staff who see the
    # outbox; the page checks which. Not the cell administrator's: patients' data is not theirs.
    HEALTH_MESSAGE_READ = "notifications.health_message_read"
    INDICATORS_VIEW = "indicators.view"  # the activity figures of the cell
    INDICATORS_FULL = "indicators.full"  # the same per professional and site, and the exports
    ACCESS_LOG_VIEW = "audit.access_log_view"  # who read or changed which patient's data
    PATIENT_RIGHTS = "audit.patient_rights"  # a patient's export, correction, erasure (RGPD)
    DIRECTORY_IMPORT = "directory.import"  # import the Annuaire Santé extract into the directory


PUBLIC = "public"
AUTHENTICATED = "authenticated"

_EVERY_MEMBER = {Perm.CELL_HOME, Perm.COMMUNE_SEARCH, Perm.ADDRESS_SEARCH}
# Every role but the cell administrator's: a médecin traitant holds an account as a requester or an effector.
_CARE = {Perm.HEALTH_MESSAGE_READ}

_CELL_STAFF = {
    Perm.QUEUE_VIEW,
    Perm.REQUEST_VIEW,
    Perm.ROSTER_VIEW,
    Perm.PROTOCOL_VIEW,
    Perm.MESSAGES_VIEW,
    Perm.INDICATORS_VIEW,
}
_HANDLING = {
    Perm.REQUEST_HANDLE,
    Perm.REQUEST_PHONE_INTAKE,
    Perm.SLOTS_PUBLISH,
    Perm.AGENDA_VIEW,
    Perm.AGENDA_MANAGE,
    Perm.DAY_SHEETS,
}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.REQUESTER: frozenset(_EVERY_MEMBER | _CARE | {Perm.REQUEST_SUBMIT, Perm.OWN_REQUESTS, Perm.REQUEST_VIEW}),
    Role.EFFECTOR: frozenset(
        _EVERY_MEMBER
        | _CARE
        | {
            Perm.RESOURCES_VIEW,
            Perm.SLOTS_PUBLISH,
            Perm.OWN_CALENDAR,
            Perm.AGENDA_VIEW,
            Perm.OWN_APPOINTMENTS,
            Perm.DAY_SHEETS,
        }
    ),
    Role.COORDINATOR: frozenset(
        _EVERY_MEMBER
        | _CARE
        | _CELL_STAFF
        | _HANDLING
        | {Perm.DIRECTORY_VIEW, Perm.RESOURCES_VIEW, Perm.TERRITORY_VIEW}
    ),
    Role.SUPERVISOR: frozenset(
        _EVERY_MEMBER
        | _CARE
        | _CELL_STAFF
        | _HANDLING
        | {Perm.DIRECTORY_VIEW, Perm.RESOURCES_VIEW, Perm.TERRITORY_VIEW, Perm.SUPERVISOR_ANSWER, Perm.ROSTER_MANAGE}
    ),
    Role.CELL_ADMIN: frozenset(
        _EVERY_MEMBER
        | {
            Perm.DIRECTORY_VIEW,
            Perm.DIRECTORY_MANAGE,
            Perm.RESOURCES_VIEW,
            Perm.TERRITORY_VIEW,
            Perm.TERRITORY_MANAGE,
            Perm.MEMBERS_MANAGE,
            Perm.CELL_MANAGE,
            Perm.ROSTER_MANAGE,
            Perm.AGENDA_VIEW,
            Perm.AGENDA_MANAGE,
            Perm.PARTNERS_MANAGE,
            Perm.PROTOCOL_MANAGE,
            Perm.INDICATORS_FULL,
            Perm.ACCESS_LOG_VIEW,
            Perm.PATIENT_RIGHTS,
            Perm.DIRECTORY_IMPORT,
            # Not the queue, the requests or the messages: the cell administrator configures and reads figures
            # (PRODUCT.md); patients' data is for those who take part in their care (least privilege, PGSSI-S).
            *(_CELL_STAFF - {Perm.QUEUE_VIEW, Perm.REQUEST_VIEW, Perm.MESSAGES_VIEW}),
        }
    ),
}


def role_allows(role: str, permission: Perm) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


# The row a person acts as when they hold several roles in a cell and chose none: the widest view of the cell's
# patient work first (the supervisor's permissions include the coordinator's), then its configuration, then a
# professional's own pages (an effector's day before a requester's own requests, the narrowest home).
ROLE_ORDER: tuple[str, ...] = (Role.SUPERVISOR, Role.COORDINATOR, Role.CELL_ADMIN, Role.EFFECTOR, Role.REQUESTER)
ACTING_ROLE_KEY = "acting_role"  # in the session: {cell slug: role}


def acting_role_chosen(session: SessionBase | None, cell_slug: str) -> str:
    if session is None:
        return ""
    chosen = session.get(ACTING_ROLE_KEY, {})
    return str(chosen.get(cell_slug, "")) if isinstance(chosen, dict) else ""


def membership_for(user: User, cell_slug: str, session: SessionBase | None = None) -> Membership:
    """The user's acting membership in the cell named by the address, or 404 (never reveal that the cell exists).

    All the user's active rows of the cell come in one query. The acting row is the role chosen in the session for
    this cell when the user still holds it, else the first in ROLE_ORDER. It carries `rows` (every active row, in
    ROLE_ORDER) and `granted`, the union of their permissions: one login, every role's rights.
    """
    found = list(
        Membership.objects.select_related("cell", "professional", "site").filter(
            user=user, cell__slug=cell_slug, is_active=True
        )
    )
    if not found:
        raise Http404
    found.sort(key=lambda row: ROLE_ORDER.index(row.role) if row.role in ROLE_ORDER else len(ROLE_ORDER))
    chosen = acting_role_chosen(session, cell_slug)
    acting = next((row for row in found if row.role == chosen), found[0])
    granted = frozenset().union(*(ROLE_PERMISSIONS.get(row.role, frozenset()) for row in found))
    for row in found:
        row.rows = found  # type: ignore[attr-defined]
        row.granted = granted  # type: ignore[attr-defined]
    return acting


def row_for(membership: Membership, permission: Perm) -> Membership:
    """The row that holds `permission`: the acting one when its role has it, else the first other row that does (a
    GP acting as effector who submits a request does so with their requester row and its links)."""
    if role_allows(membership.role, permission):
        return membership
    rows: list[Membership] = getattr(membership, "rows", [membership])
    return next((row for row in rows if role_allows(row.role, permission)), membership)


def granted(membership: Membership) -> frozenset[Perm]:
    return getattr(membership, "granted", None) or ROLE_PERMISSIONS.get(membership.role, frozenset())


class CellMixin(LoginRequiredMixin, View):
    """Base of every cell view: resolves `self.cell` and `self.membership`, then checks `permission`.

    The permission is checked against the union of the person's roles in the cell; `self.membership` is the acting
    row, or, when the acting role lacks the view's permission, the row that has it (its links are the ones to use).
    """

    permission: ClassVar[Perm]
    request: HttpRequest
    cell: Cell
    membership: Membership
    acting: Membership

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        assert isinstance(request.user, User)
        self.acting = membership_for(request.user, kwargs["cell"], getattr(request, "session", None))
        self.cell = self.acting.cell
        if self.permission not in granted(self.acting):
            raise PermissionDenied
        self.membership = row_for(self.acting, self.permission)
        return super().dispatch(request, *args, **kwargs)

    def allows(self, permission: Perm) -> bool:
        return permission in granted(self.acting)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["cell"] = self.cell
        context["membership"] = self.membership
        context["acting_membership"] = self.acting
        context["cell_roles"] = [(row.role, row.get_role_display()) for row in getattr(self.acting, "rows", [])]
        perms = granted(self.acting)
        context["perms_in_cell"] = {p.name: p in perms for p in Perm}
        context["alert_channels"] = AlertChannel.choices
        return context


F = TypeVar("F", bound=Callable[..., Any])


def declare(permission: str) -> Callable[[F], F]:
    """States what a function view requires, for the URL walk tests: views outside a cell (login, language), and
    function views that hand the request to a CellMixin view which checks it (the request page's buttons)."""

    def mark(view: F) -> F:
        view.permission = permission  # type: ignore[attr-defined]
        return view

    return mark
