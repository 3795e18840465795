from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from directory.models import Profession, Professional, ReorientationResource, Site, TeleconsultantTier
from territory.models import Cell

from .models import Invitation, Membership, PscAccessRequest, PscAccessStatus, User


def membership_list(cell: Cell) -> QuerySet[Membership]:
    return Membership.objects.filter(cell=cell).select_related("user", "professional", "site__commune")


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
    return user.memberships.filter(is_active=True).select_related("cell").order_by("cell__name")


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
    members = Membership.objects.filter(cell=cell, is_active=True).count()
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
