"""INT_R02: SAS regulators' accounts, created, updated and disabled by the SAS platform.

A regulator becomes a requester (type "SAS / Centre 15 regulator") of every cell that takes SAS regulators
(`AIGUILLAGE_SAS_REGULATOR_CELLS`), linked to a professional of the cell's directory (found by RPPS, else created
from the SAS platform's names). They log in with Pro Santé Connect (matched by national identifier); nobody knows a
password for these accounts. Disabling the account ends its sessions at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, RequesterType, Role, User
from audit.models import AccessAction
from audit.services import access_record
from common.errors import DomainError
from directory.models import Profession, Professional
from territory.models import Cell

from ..codes import IDNPS, SAS_TECHNICAL_ID
from ..models import SasRegulator

IDENTIFIER_REQUIRED = _(
    "An identifier is required: national (urn:oid:1.2.250.1.71.4.2.1) or SAS (urn:oid:1.2.250.1.213.3.6)."
)
IDENTIFIER_CONFLICT = _("These identifiers belong to two different regulators.")
NO_CELL = _("No cell of this server takes SAS regulators.")
REGULATOR_SPECIALTY = "Régulation SAS"
_RPPS = re.compile(r"^8(\d{11})$")


@dataclass(frozen=True)
class RegulatorData:
    national_id: str
    sas_id: str
    active: bool
    family: str
    given: str
    email: str


def regulator_cells() -> list[Cell]:
    chosen = settings.AIGUILLAGE_SAS_REGULATOR_CELLS
    cells = Cell.objects.order_by("pk")
    if "*" not in chosen:
        cells = cells.filter(slug__in=chosen)
    return list(cells)


def regulator_find(*, system: str, value: str) -> SasRegulator | None:
    if system == IDNPS:
        return SasRegulator.objects.select_related("user").filter(national_id=value).first()
    if system == SAS_TECHNICAL_ID:
        return SasRegulator.objects.select_related("user").filter(sas_id=value).first()
    return None


def _username(data: RegulatorData) -> str:
    base = re.sub(r"[^\w.@+-]", "-", f"sas.{data.national_id or data.sas_id}")[:140]
    name, number = base, 1
    while User.objects.filter(username__iexact=name).exists():
        number += 1
        name = f"{base}-{number}"
    return name


def _account_of_rpps(national_id: str) -> User | None:
    match = _RPPS.match(national_id)
    if match is None:
        return None
    accounts = list(
        User.objects.filter(memberships__professional__rpps=match[1], memberships__is_active=True).distinct()[:2]
    )
    return accounts[0] if len(accounts) == 1 and not hasattr(accounts[0], "sas_regulator") else None


def _professional(cell: Cell, data: RegulatorData, current: Professional | None) -> Professional:
    rpps_match = _RPPS.match(data.national_id)
    if rpps_match:
        known = Professional.objects.filter(cell=cell, rpps=rpps_match[1]).first()
        if known is not None:
            return known
    professional = current or Professional(cell=cell, profession=Profession.OTHER, specialty=REGULATOR_SPECIALTY)
    professional.last_name, professional.first_name = data.family, data.given
    if rpps_match and not professional.rpps:
        professional.rpps = rpps_match[1]
    professional.save()
    return professional


@transaction.atomic
def regulator_save(*, data: RegulatorData, lookup: tuple[str, str] | None = None) -> tuple[SasRegulator, bool]:
    """Create or update the regulator's account (the same call twice changes nothing the second time); returns it
    and whether it was created. `lookup` is the identifier of a conditional update, which may be the one being
    replaced (a technical identifier before the national one)."""
    if not data.national_id and not data.sas_id:
        raise DomainError(IDENTIFIER_REQUIRED, field="identifier")
    found = {
        regulator.pk: regulator
        for regulator in (
            regulator_find(system=lookup[0], value=lookup[1]) if lookup else None,
            regulator_find(system=IDNPS, value=data.national_id) if data.national_id else None,
            regulator_find(system=SAS_TECHNICAL_ID, value=data.sas_id) if data.sas_id else None,
        )
        if regulator is not None
    }
    if len(found) > 1:
        raise DomainError(IDENTIFIER_CONFLICT, field="identifier")
    cells = regulator_cells()
    if not cells:
        raise DomainError(NO_CELL)
    regulator = next(iter(found.values()), None)
    created = regulator is None
    activity_changed = created or regulator is None or regulator.is_active != data.active
    if regulator is None:
        # A professional who already has an account here (linked to their RPPS) keeps it: a second account for the
        # same RPPS would make their Pro Santé Connect login ambiguous.
        user = _account_of_rpps(data.national_id) or User(username=_username(data))
        if user.pk is None:
            user.set_unusable_password()
        regulator = SasRegulator(user=user)
    user = regulator.user
    user.first_name, user.last_name = data.given[:150], data.family[:150]
    user.email = data.email or user.email
    if activity_changed:
        user.is_active = data.active  # saving an inactive user ends its sessions (accounts.signals)
    user.save()
    regulator.user = user
    regulator.national_id = data.national_id or regulator.national_id
    regulator.sas_id = data.sas_id or regulator.sas_id
    regulator.is_active = data.active
    regulator.save()
    for cell in cells:
        rows = list(Membership.objects.filter(user=user, cell=cell).select_related("professional"))
        membership = next((row for row in rows if row.role == Role.REQUESTER), None)
        if membership is None and rows:
            continue  # the same person works in the cell under another role only: leave that alone
        professional = _professional(cell, data, membership.professional if membership else None)
        if membership is None:
            Membership.objects.create(
                user=user,
                cell=cell,
                role=Role.REQUESTER,
                requester_type=RequesterType.SAS_REGULATOR,
                professional=professional,
                is_active=data.active,
            )
        else:
            membership.professional = professional
            if activity_changed:  # a membership a cell closed stays closed until the SAS platform itself changes
                membership.is_active = data.active
            membership.save(update_fields=["professional", "is_active"])
    access_record(
        action=AccessAction.SECURITY,
        object_type="account",
        object_id=user.pk,
        actor="sas-platform",
        detail=f"INT_R02 {'created' if created else 'updated'}{'' if data.active else ', disabled'}",
    )
    return regulator, created
