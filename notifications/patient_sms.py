"""The SMS a patient receives about an appointment, as they receive it: the cell's wording (or Aiguillage's) filled
with the day, the time and the place, the cancel link and the privacy link, fitted within two SMS by
`patient_text.fit` (what gives way first is written there). The template editor's preview and its check use the same
code with the cell's longest place, so that what the administrator sees is the worst case patients will get."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agenda.models import Slot
from directory.models import ReorientationResource, Site
from referrals.models import Modality

from . import templating
from .models import MessageKind
from .patient_text import Fitted, fit

CANCEL_TOKEN_LENGTH = 22  # agenda's cancel tokens: secrets.token_urlsafe(16)


def _base() -> str:
    return str(settings.AIGUILLAGE_BASE_URL).rstrip("/")


def privacy_link(cell: Any) -> str:
    """Every message to a patient leads to the page that says what is kept about them and how to exercise their
    rights (RGPD art. 13): in the SMS when it fits, else through the cancel page, which links to it."""
    return str(_("Your data: %(url)s") % {"url": _base() + reverse("privacy", kwargs={"slug": cell.slug})})


def cancel_link(token: str) -> str:
    return str(_("Cancel: %(url)s") % {"url": _base() + reverse("patient_cancel", kwargs={"token": token})})


def place_variants(slot: Any) -> list[str]:
    """Where the patient goes, from the fullest to the barest: full name, street address and commune; the name for
    SMS with the address; the name for SMS and the commune; the commune. A Médicobus stop: its place, then the commune
    alone. A slot with no place of its own (a teleconsultation from home) or a home visit: the modality."""
    if slot.commune_id is not None and slot.commune is not None:
        full = f"Médicobus, {slot.place}, {slot.commune.name}" if slot.place else f"Médicobus, {slot.commune.name}"
        return [full, full, f"Médicobus, {slot.commune.name}", f"Médicobus, {slot.commune.name}"]
    site = slot.site
    if site is None or slot.modality == Modality.HOME_VISIT:  # a home visit: never the nurses' office address
        return [str(slot.get_modality_display())]
    short = site.sms_name or site.name
    commune = site.commune.name
    address = f"{site.address}, " if site.address else ""
    return [f"{site.name}, {address}{commune}", f"{short}, {address}{commune}", f"{short}, {commune}", commune]


def resource_variants(resource: Any) -> list[str]:
    """Where a reoriented patient goes, from the fullest to the barest: name, street address and commune; name and
    commune; name (its commune when it has one, for the barest)."""
    commune = resource.commune.name if resource.commune_id else ""
    address = f"{resource.address}, " if resource.address else ""
    full = f"{resource.name}, {address}{commune}".rstrip(", ")
    with_commune = f"{resource.name}, {commune}".rstrip(", ")
    return [full, full, with_commune, with_commune]


def values_for(cell: Any, starts_at: datetime | None) -> dict[str, str]:
    when = timezone.localtime(starts_at) if starts_at else None
    return {
        "cellule": cell.name,
        "jour": f"{when:%d/%m}" if when else "",
        "heure": f"{when:%H:%M}" if when else "",
        "telephone_cellule": cell.patient_phone.as_national if cell.patient_phone else "",
    }


def compose(
    cell: Any,
    kind: str,
    *,
    starts_at: datetime | None,
    places: list[str],
    cancel_token: str | None,
    text: str = "",
    more: dict[str, str] | None = None,
) -> Fitted:
    """The SMS of this kind for this appointment, fitted; `text` replaces the cell's wording (the preview), `more`
    fills the kind's other blanks."""
    with translation.override(settings.LANGUAGE_CODE):
        wording = text or templating.wording(cell.pk, kind)
        required = [cancel_link(cancel_token)] if cancel_token else []
        return fit(
            wording,
            {**values_for(cell, starts_at), **(more or {})},
            places,
            required_links=required,
            optional_links=[privacy_link(cell)],
        )


def longest_places(cell: Any) -> list[str]:
    """The place variants of the cell's active site or Médicobus commune that weigh most in an SMS (each variant the
    longest of its rank), else an example."""

    candidates: list[list[str]] = []
    for site in Site.objects.filter(cell=cell, is_active=True).select_related("commune"):
        candidates.append(place_variants(Slot(site=site)))
    stops = (
        Slot.objects.filter(cell=cell, commune__isnull=False)
        .exclude(place="")
        .select_related("commune")
        .order_by("-starts_at")[:200]
    )
    for stop in stops:
        candidates.append(place_variants(stop))
    if not candidates:
        example = templating.BLANKS[MessageKind.PATIENT_BOOKED]["lieu"]
        return [example, example, example.rsplit(",", 1)[0], example.rsplit(" ", 1)[-1]]
    return [max((variants[rank] for variants in candidates), key=len) for rank in range(4)]


def longest_resource(cell: Any) -> list[str]:
    """The variants of the cell's active reorientation resource that weigh most in an SMS, else the example."""

    resources = ReorientationResource.objects.filter(cell=cell, is_active=True).select_related("commune")
    candidates = [resource_variants(resource) for resource in resources]
    if not candidates:
        return [templating.BLANKS[MessageKind.PATIENT_REORIENTED]["lieu"]]
    return [max((variants[rank] for variants in candidates), key=len) for rank in range(4)]


@dataclass(frozen=True)
class WorstCase:
    fitted: Fitted
    keeps_essentials: bool


def worst_case(cell: Any, kind: str, text: str) -> WorstCase:
    """The text as the patient of the cell's longest place would get it, today's date at 23:59, with the real cancel
    link's length; whether the cell's wording survives (else patients get the bare essentials)."""
    with_link = kind in (MessageKind.PATIENT_BOOKED, MessageKind.PATIENT_REMINDER)
    token = secrets.token_urlsafe(16)[:CANCEL_TOKEN_LENGTH] if with_link else None
    starts_at = timezone.localtime().replace(hour=23, minute=59)
    if "{lieu}" not in text:
        places = [""]
    elif kind == MessageKind.PATIENT_REORIENTED:
        places = longest_resource(cell)
    else:
        places = longest_places(cell)
    more = {"telephone_lieu": "02 33 00 00 00"}
    fitted = compose(cell, kind, starts_at=starts_at, places=places, cancel_token=token, text=text, more=more)
    return WorstCase(fitted=fitted, keeps_essentials=fitted.step < 7)
