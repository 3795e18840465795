"""Reads of the directory, always within one cell, with what the screens need joined up front."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from common.text import normalize
from territory.models import Cell, Commune

from .models import (
    DOCTOR_PROFESSIONS,
    AnnuaireImport,
    ImportIssue,
    PoolAgreement,
    Profession,
    Professional,
    ReorientationResource,
    Site,
)


def site_list(cell: Cell) -> QuerySet[Site]:
    return (
        Site.objects.filter(cell=cell)
        .select_related("commune")
        .annotate(professional_count=Count("professionals"))
        .order_by("name")
    )


def site_get(cell: Cell, pk: int) -> Site:
    return get_object_or_404(Site.objects.select_related("commune"), cell=cell, pk=pk)


def professional_list(cell: Cell) -> QuerySet[Professional]:
    return Professional.objects.filter(cell=cell).prefetch_related("sites__commune")


def professional_get(cell: Cell, pk: int) -> Professional:
    return get_object_or_404(Professional.objects.prefetch_related("sites__commune"), cell=cell, pk=pk)


def resource_list(cell: Cell) -> QuerySet[ReorientationResource]:
    return ReorientationResource.objects.filter(cell=cell).select_related("commune")


def resource_get(cell: Cell, pk: int) -> ReorientationResource:
    return get_object_or_404(
        ReorientationResource.objects.select_related("commune").prefetch_related("communes_served"),
        cell=cell,
        pk=pk,
    )


def records_in_commune(cell: Cell, commune: Commune) -> list[str]:
    """The cell's sites and resources located in, or serving, a commune (named, for a message)."""
    sites = [site.name for site in Site.objects.filter(cell=cell, commune=commune)]
    resources = ReorientationResource.objects.filter(Q(commune=commune) | Q(communes_served=commune), cell=cell)
    names = sites + sorted({resource.name for resource in resources})
    if len(names) > 3:
        return [*names[:3], gettext("%(count)s more") % {"count": len(names) - 3}]
    return names


def professional_named(cell_id: int, name: str, professions: tuple[str, ...] = ()) -> Professional | None:
    """The active professional of the cell a free-text name designates ("Dr Martin", "Claire MARTIN"): one whose last
    name is a word of it, of one of these professions; None when none or several match."""
    words = {word for word in normalize(name).replace(".", " ").split() if len(word) > 1}
    if not words:
        return None
    found = Professional.objects.filter(cell_id=cell_id, is_active=True)
    if professions:
        found = found.filter(profession__in=professions)
    starts = Q()
    for word in words:
        starts |= Q(search_name__startswith=f"{word} ")
    matches = [pro for pro in found.filter(starts) if normalize(pro.last_name) in words]
    return matches[0] if len(matches) == 1 else None


DOCTOR_WORDS = frozenset({"dr", "docteur"})  # "Dr Martin": a doctor named Martin


def _professions_starting(word: str) -> list[str]:
    """The professions one of whose words (in the current language) starts with this normalized word."""
    return [
        value
        for value, label in Profession.choices
        if any(part.startswith(word) for part in normalize(str(label)).split())
    ]


def professional_search(cell: Cell, query: str, *, limit: int = 10) -> list[Professional]:
    """The cell's active professionals matching every word typed, each word being the start of a word of their
    name, of their profession, of their specialty or of their sites' commune ("martin", "kiné argentan"), by name,
    with their sites' communes for their label. Nothing for an empty query."""
    words = normalize(query).split()[:5]
    if not words:
        return []
    found = Professional.objects.filter(cell=cell, is_active=True)
    for word in words:
        if word in DOCTOR_WORDS:
            found = found.filter(profession__in=DOCTOR_PROFESSIONS)
            continue
        found = found.filter(
            Q(search_name__startswith=word)
            | Q(search_name__contains=f" {word}")
            | Q(profession__in=_professions_starting(word))
            | Q(specialty__istartswith=word)
            | Q(sites__commune__search_name__startswith=word)
            | Q(sites__commune__search_name__contains=f" {word}")
        )
    return list(found.distinct().order_by("search_name", "pk").prefetch_related("sites__commune")[:limit])


def annuaire_import_list(cell: Cell) -> QuerySet[AnnuaireImport]:
    return AnnuaireImport.objects.filter(cell=cell).select_related("created_by").order_by("-created_at", "-pk")


def annuaire_import_get(cell: Cell, pk: int) -> AnnuaireImport:
    return get_object_or_404(AnnuaireImport.objects.select_related("created_by"), cell=cell, pk=pk)


def annuaire_import_issues(job: AnnuaireImport) -> QuerySet[ImportIssue]:
    return ImportIssue.objects.filter(job=job).order_by("line", "pk")


def _agreements() -> QuerySet[PoolAgreement]:
    return PoolAgreement.objects.select_related("professional__cell", "cell", "created_by", "accepted_by", "ended_by")


def pool_agreements_given(cell: Cell) -> QuerySet[PoolAgreement]:
    """The agreements by which the cell shares its professionals with other cells, the latest first."""
    return _agreements().filter(professional__cell=cell)


def pool_agreements_received(cell: Cell) -> QuerySet[PoolAgreement]:
    """The agreements by which other cells share their professionals with the cell, the latest first."""
    return _agreements().filter(cell=cell)


def pool_agreement_get(cell: Cell, pk: int) -> PoolAgreement:
    """One agreement the cell is a party to (the professional's cell or the cell they are offered to), else 404."""
    return get_object_or_404(_agreements(), Q(cell=cell) | Q(professional__cell=cell), pk=pk)


def pool_cell_named(slug: str) -> Cell | None:
    """The cell a professional is offered to, by the short name its administrator gave (no cell lists the others)."""
    return Cell.objects.filter(slug=slug.strip().lower()).first()
