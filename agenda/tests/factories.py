from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from agenda.models import Slot
from directory.models import AgreementStatus, PoolAgreement, Professional, Site
from territory.models import Cell


def make_slot(cell: Cell, *, starts_at: datetime | None = None, minutes: int = 20, **fields: Any) -> Slot:
    start = starts_at or timezone.now() + timedelta(hours=3)
    values: dict[str, Any] = {"care_channel": "gp", "modality": "in_person", "capacity": 1}
    values.update(fields)
    return Slot.objects.create(cell=cell, starts_at=start, ends_at=start + timedelta(minutes=minutes), **values)


def make_site(cell: Cell, insee: str, **fields: Any) -> Site:
    """A site of the cell in the commune of this INSEE code."""
    from tests.factories import SiteFactory, commune

    made = SiteFactory(cell=cell, commune=commune(insee), **fields)
    assert isinstance(made, Site)
    return made


def make_teleconsultant(cell: Cell, tier: str) -> Professional:
    """A teleconsultant doctor of the cell, of this tier (named after it)."""
    from tests.factories import ProfessionalFactory

    made = ProfessionalFactory(cell=cell, teleconsultant_tier=tier, last_name=f"Docteur{tier}")
    assert isinstance(made, Professional)
    return made


def make_practitioner(cell: Cell, **fields: Any) -> Professional:
    """A professional working at one site of the cell: their in-person slots take place there."""
    from tests.factories import ProfessionalFactory, SiteFactory

    professional: Professional = ProfessionalFactory(cell=cell, **fields)
    professional.sites.add(SiteFactory(cell=cell))
    return professional


def share(
    professional: Professional,
    cell: Cell,
    *,
    tier: str = "regional",
    starts_on: date | None = None,
    ends_on: date | None = None,
    status: str = AgreementStatus.ACCEPTED,
) -> PoolAgreement:
    """An agreement sharing the professional with the cell (decision 0021), accepted from today unless told, offered
    and accepted by the first user of the database."""
    from accounts.models import User

    user = User.objects.order_by("pk").first()
    assert user is not None
    now = timezone.now()
    return PoolAgreement.objects.create(
        professional=professional,
        cell=cell,
        tier=tier,
        starts_on=starts_on or timezone.localdate(),
        ends_on=ends_on,
        status=status,
        created_by=user,
        created_at=now,
        accepted_by=user if status == AgreementStatus.ACCEPTED else None,
        accepted_at=now if status == AgreementStatus.ACCEPTED else None,
    )
