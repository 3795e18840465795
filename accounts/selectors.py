from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from directory.models import Profession, Professional, ReorientationResource, Site, TeleconsultantTier
from territory.models import Cell

from .models import Membership, User


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
