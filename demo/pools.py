"""A shared pool in the demo (decision 0021): a regional teleconsultant of CPTS Sud Loire Vignoble, with their own
assisted-teleconsultation times in that cell's agenda, offered to CSNP Orne-Est as regional and accepted there, so
that Orne-Est's spot pairs them when its own doctors are taken and both cells' "Shared pools" pages show it."""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone

from accounts.models import Membership, Role
from agenda import services as agenda
from agenda.models import AvailabilityPlan
from directory import services as directory
from directory.models import AgreementStatus, PoolAgreement, Profession, Professional, TeleconsultantTier
from territory.models import Cell

# Out of the loader's numbering (the 1st to about the 80th): the same number on every load.
POOL_RPPS_NUMBER = 900
MONDAY, FRIDAY = 0, 4


def load_demo_pool(home: Cell, to_cell: Cell, rpps: str) -> int:
    """The shared teleconsultant, their plan in their home cell and the accepted agreement; once (idempotent).
    Returns the slots made."""
    doctor, _made = Professional.objects.get_or_create(
        cell=home,
        rpps=rpps,
        defaults={
            "first_name": "Gwenaëlle",
            "last_name": "Kerbrat",
            "profession": Profession.GP,
            "specialty": "Téléconsultante — pool régional, partagée avec l'Orne-Est",
            "teleconsultant_tier": TeleconsultantTier.LOCAL,
            "is_adherent": True,
            "email": "gwenaelle.kerbrat@example.org",
            "phone": "+33261919900",  # the demo's fictional block (02 61 91 xx xx), past the loader's numbers
        },
    )
    created = 0
    if not AvailabilityPlan.objects.filter(cell=home, professional=doctor).exists():
        today = timezone.localdate()
        created = agenda.plan_save(
            cell=home,
            professional=doctor,
            site=None,
            weekdays=[MONDAY, FRIDAY],
            start_time=time(14, 0),
            end_time=time(18, 0),
            minutes=20,
            care_channel="gp",
            modality="assisted_teleconsultation",
            first_day=today,
            last_day=today + timedelta(days=120),
        ).created
    if not PoolAgreement.objects.filter(professional=doctor, cell=to_cell).exists():
        home_admin = _admin(home)
        other_admin = _admin(to_cell)
        agreement = directory.pool_agreement_offer(
            cell=home,
            professional=doctor,
            to_cell=to_cell,
            tier=TeleconsultantTier.REGIONAL,
            starts_on=timezone.localdate(),
            ends_on=None,
            user=home_admin,
        )
        directory.pool_agreement_accept(cell=to_cell, agreement=agreement, user=other_admin)
    assert PoolAgreement.objects.filter(professional=doctor, cell=to_cell, status=AgreementStatus.ACCEPTED).exists()
    return created


def _admin(cell: Cell) -> object:
    membership = (
        Membership.objects.filter(cell=cell, role=Role.CELL_ADMIN).select_related("user").order_by("pk").first()
    )
    assert membership is not None, f"the demo cell {cell.slug} has no administrator"
    return membership.user
