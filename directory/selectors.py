"""Reads of the directory, always within one cell, with what the screens need joined up front."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from territory.models import Cell

from .models import Professional, ReorientationResource, Site


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
