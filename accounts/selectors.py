from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, Min, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from directory.models import Profession, Professional, ReorientationResource, Site, TeleconsultantTier
from territory.models import Cell

from .models import Invitation, Membership, PscAccessRequest, PscAccessStatus, User


def membership_list(cell: Cell) -> QuerySet[Membership]:
    return Membership.objects.filter(cell=cell).select_related("user", "professional", "site__commune")


def member_people(cell: Cell, rows: QuerySet[Membership]) -> QuerySet[Membership]:
    """One line per person among `rows` (the members' list, filtered): the person's first row, with every row of
    theirs in the cell in `user.cell_rows` (one more query for the page, whatever its length)."""
    first_rows = rows.order_by().values("user").annotate(first=Min("pk")).values("first")
    in_cell = Membership.objects.filter(cell=cell).select_related("professional", "site").order_by("pk")
    return (
        membership_list(cell)
        .filter(pk__in=first_rows)
        .prefetch_related(Prefetch("user__memberships", queryset=in_cell, to_attr="cell_rows"))
    )


def person_rows(membership: Membership) -> list[Membership]:
    """Every row (role) of the member's person in the cell, active or not."""
    return list(Membership.objects.filter(user=membership.user_id, cell=membership.cell_id).order_by("pk"))


def membership_get(cell: Cell, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "professional", "site", "cell"), cell=cell, pk=pk
    )


def account_is_shared(membership: Membership) -> bool:
    """Whether the member's account is also used elsewhere (another cell, or the platform administration)."""
    user = membership.user
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(user=user, is_active=True).exclude(cell=membership.cell_id).exists()


def active_memberships(user: User) -> QuerySet[Membership]:
    return user.memberships.filter(is_active=True).select_related("cell").order_by("cell__name", "pk")


def active_cells(user: User) -> list[Membership]:
    """One active membership per cell of the user (a person may hold several roles in a cell), each with
    `roles_label`: the roles they hold there."""
    by_cell: dict[int, list[Membership]] = {}
    for row in active_memberships(user):
        by_cell.setdefault(row.cell_id, []).append(row)
    firsts = []
    for rows in by_cell.values():
        rows[0].roles_label = ", ".join(str(row.get_role_display()) for row in rows)  # type: ignore[attr-defined]
        firsts.append(rows[0])
    return firsts


def cell_overview(cell: Cell) -> dict[str, int]:
    """The figures of a cell's home page, in three queries."""
    professionals = Professional.objects.filter(cell=cell, is_active=True).aggregate(
        total=Count("pk"),
        gps=Count("pk", filter=Q(profession=Profession.GP, teleconsultant_tier="")),
        teleconsultants=Count("pk", filter=~Q(teleconsultant_tier="")),
        local=Count("pk", filter=Q(teleconsultant_tier=TeleconsultantTier.LOCAL)),
        regional=Count("pk", filter=Q(teleconsultant_tier=TeleconsultantTier.REGIONAL)),
        extra=Count("pk", filter=Q(teleconsultant_tier=TeleconsultantTier.EXTRA_TERRITORIAL)),
        nurses=Count("pk", filter=Q(profession=Profession.NURSE)),
        adherents=Count("pk", filter=Q(is_adherent=True)),
    )
    sites = Site.objects.filter(cell=cell, is_active=True).count()
    resources = ReorientationResource.objects.filter(cell=cell, is_active=True).count()
    members = Membership.objects.filter(cell=cell, is_active=True).values("user").distinct().count()  # people
    return {**professionals, "sites": sites, "resources": resources, "members": members}


@dataclass(frozen=True)
class PscMatch:
    """Whom a Pro Santé Connect login opens: `user` when exactly one active account is linked to the RPPS."""

    user: User | None
    several_accounts: bool = False
    access_closed: bool = False


def psc_match(rpps: str) -> PscMatch:
    """The account of the professional with this RPPS: the user of the active memberships linked (in any cell) to a
    directory professional with that RPPS. Memberships that exist but are all closed (or the account disabled) say
    so; two different accounts for one RPPS are not guessed between."""
    memberships = list(Membership.objects.filter(professional__rpps=rpps).select_related("user").order_by("pk")[:50])
    active = {m.user_id: m.user for m in memberships if m.is_active and m.user.is_active}
    if len(active) == 1:
        return PscMatch(user=next(iter(active.values())))
    if len(active) > 1:
        return PscMatch(user=None, several_accounts=True)
    return PscMatch(user=None, access_closed=bool(memberships))


def psc_latest_request(rpps: str) -> PscAccessRequest | None:
    """The professional's waiting request, else their latest decided one."""
    requests = PscAccessRequest.objects.filter(rpps=rpps).select_related("cell")
    return requests.filter(status=PscAccessStatus.PENDING).first() or requests.order_by("-created_at").first()


def cells_knowing_rpps(rpps: str) -> QuerySet[Cell]:
    """The cells whose directory has an active professional with this RPPS (offered first to a new professional)."""
    return Cell.objects.filter(professionals__rpps=rpps, professionals__is_active=True).distinct().order_by("name")


def psc_request_list(cell: Cell) -> QuerySet[PscAccessRequest]:
    waiting_first = Case(When(status=PscAccessStatus.PENDING, then=Value(0)), default=Value(1))
    return (
        PscAccessRequest.objects.filter(cell=cell).select_related("decided_by").order_by(waiting_first, "-created_at")
    )


def psc_request_get(cell: Cell, pk: int) -> PscAccessRequest:
    return get_object_or_404(
        PscAccessRequest.objects.select_related("cell", "decided_by", "membership"), cell=cell, pk=pk
    )


def psc_pending_count(cell: Cell) -> int:
    return PscAccessRequest.objects.filter(cell=cell, status=PscAccessStatus.PENDING).count()


def professional_with_rpps(cell: Cell, rpps: str) -> Professional | None:
    return Professional.objects.filter(cell=cell, rpps=rpps).first()


def invitation_list(cell: Cell) -> QuerySet[Invitation]:
    """The cell's invitations, the waiting ones first (newest first within each)."""
    waiting_first = Case(When(used_at__isnull=True, revoked_at__isnull=True, then=Value(0)), default=Value(1))
    return (
        Invitation.objects.filter(cell=cell)
        .select_related("invited_by", "membership__user")
        .order_by(waiting_first, "-created_at")
    )


def invitation_get(cell: Cell, pk: int) -> Invitation:
    return get_object_or_404(Invitation.objects.select_related("cell"), cell=cell, pk=pk)
