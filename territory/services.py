"""Writes to territories: a territory belongs to one cell; a commune may be in several territories of one cell."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError
from common.identifiers import InvalidIdentifier, check_finess

from .models import Cell, Commune, Territory
from .signals import commune_leaving

TERRITORY_DUPLICATE_NAME = _("The cell already has a territory with this name.")
TERRITORY_DUPLICATE_FINESS = _("Another territory already has this FINESS number.")
COMMUNE_ALREADY_IN_TERRITORY = _("%(commune)s is already in this territory.")


@transaction.atomic
def territory_save(*, cell: Cell, territory: Territory | None = None, name: str, finess: str = "") -> Territory:
    """Create or rename a territory; its FINESS (the CPTS's, for the SAS platform) is checked and unique."""
    territory = territory or Territory(cell=cell)
    territory.name = name.strip()
    if finess:
        try:
            finess = check_finess(finess).value
        except InvalidIdentifier as error:
            raise DomainError(error.message, field="finess") from error
    territory.finess = finess
    if Territory.objects.filter(cell=cell, name__iexact=territory.name).exclude(pk=territory.pk).exists():
        raise DomainError(TERRITORY_DUPLICATE_NAME, field="name")
    if finess and Territory.objects.filter(finess=finess).exclude(pk=territory.pk).exists():
        raise DomainError(TERRITORY_DUPLICATE_FINESS, field="finess")
    territory.save()
    return territory


CELL_DUPLICATE_NAME = _("Another cell already has this name.")


PATIENT_PHONE_IS_PROFESSIONALS = _(
    "This is the professionals-only number: patients must be given another one (or none)."
)


@transaction.atomic
def cell_update(
    *, cell: Cell, name: str, phone: object, email: str, patient_phone: object = "", holiday_zone: str | None = None
) -> Cell:
    """The cell administrator names the cell and gives its numbers: the professionals-only one (shown to requesters)
    and the one for patients (in their SMS and pages), which must not be the same."""
    name = name.strip()
    if Cell.objects.filter(name__iexact=name).exclude(pk=cell.pk).exists():
        raise DomainError(CELL_DUPLICATE_NAME, field="name")
    if patient_phone and str(patient_phone) == str(phone):
        raise DomainError(PATIENT_PHONE_IS_PROFESSIONALS, field="patient_phone")
    cell.name, cell.phone, cell.email, cell.patient_phone = name, phone, email, patient_phone
    if holiday_zone is not None:
        cell.holiday_zone = holiday_zone
    cell.save(update_fields=["name", "phone", "email", "patient_phone", "holiday_zone"])
    return cell


def territory_add_commune(*, territory: Territory, commune: Commune) -> None:
    if territory.communes.filter(pk=commune.pk).exists():
        raise DomainError(COMMUNE_ALREADY_IN_TERRITORY % {"commune": commune}, field="commune")
    territory.communes.add(commune)


COMMUNE_IN_USE = _("%(commune)s cannot leave the territory: %(users)s are there. Change them first.")


@transaction.atomic
def territory_remove_commune(*, territory: Territory, commune: Commune) -> None:
    """Take a commune out of a territory, unless the cell's records are in it and no other territory of the cell
    keeps it."""
    kept_elsewhere = Territory.objects.filter(cell=territory.cell_id, communes=commune).exclude(pk=territory.pk)
    if not kept_elsewhere.exists():
        answers = commune_leaving.send(sender=Commune, cell=territory.cell, commune=commune)
        users: list[str] = [description for _receiver, found in answers for description in found or ()]
        if users:
            raise DomainError(COMMUNE_IN_USE % {"commune": commune.name, "users": ", ".join(users)}, field="commune")
    territory.communes.remove(commune)
