"""The demo data set: what it holds, that it is consistent and fictitious, and that loading it twice is harmless."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import phonenumbers
import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import Membership, Role, User
from common.identifiers import check_adeli, check_finess, check_rpps
from demo import data
from demo.loader import DEMO_PASSWORD, DemoSummary, load_demo
from directory.models import Profession, Professional, ReorientationResource, Site, SiteKind, TeleconsultantTier
from referrals.models import DuplicateFlag, Request, RequestEvent
from referrals.states import Status
from territory.models import Cell, Commune, Territory

pytestmark = pytest.mark.django_db


def _orne() -> Cell:
    return Cell.objects.get(slug=data.ORNE.slug)


def _counts() -> dict[str, int]:
    return {
        "cells": Cell.objects.count(),
        "territories": Territory.objects.count(),
        "territory communes": Territory.communes.through.objects.count(),
        "sites": Site.objects.count(),
        "professionals": Professional.objects.count(),
        "professional sites": Professional.sites.through.objects.count(),
        "resources": ReorientationResource.objects.count(),
        "communes served": ReorientationResource.communes_served.through.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "requests": Request.objects.count(),
        "request events": RequestEvent.objects.count(),
    }


@pytest.fixture
def summary() -> DemoSummary:
    # The two years of invented history are not what these tests look at (the command's tests below load them).
    return load_demo(history=False)


def test_orne_est_has_the_professionals_of_the_brief(summary: DemoSummary) -> None:
    professionals = Professional.objects.filter(cell=_orne())
    gps = professionals.filter(profession=Profession.GP)
    slot_gps = gps.filter(teleconsultant_tier="").exclude(sites__kind=SiteKind.MOBILE_UNIT)
    assert slot_gps.count() == 25
    assert slot_gps.filter(is_adherent=True).count() >= 20
    assert all(gp.sites.get().kind in (SiteKind.PRACTICE, SiteKind.HEALTH_CENTRE) for gp in slot_gps)
    tiers = [pro.teleconsultant_tier for pro in gps.exclude(teleconsultant_tier="")]
    assert (tiers.count(TeleconsultantTier.LOCAL), tiers.count(TeleconsultantTier.REGIONAL)) == (3, 3)
    assert tiers.count(TeleconsultantTier.EXTRA_TERRITORIAL) == 2
    spot = Site.objects.get(cell=_orne(), kind=SiteKind.TELEMEDICINE_SPOT)
    assert professionals.filter(profession=Profession.NURSE, sites=spot).count() == 6
    assert professionals.filter(profession=Profession.PHARMACIST).count() == 4
    assert professionals.filter(profession=Profession.RADIOLOGIST).count() == 1
    assert professionals.filter(profession=Profession.PHYSIOTHERAPIST).count() == 2
    assert professionals.filter(profession=Profession.BIOLOGIST).count() == 1
    medicobus = Site.objects.get(cell=_orne(), kind=SiteKind.MOBILE_UNIT)
    assert {pro.profession for pro in medicobus.professionals.all()} == {Profession.GP, Profession.MEDICAL_ASSISTANT}
    assert professionals.count() == 25 + 8 + 6 + 4 + 1 + 2 + 1 + 2
    # and Sud Loire Vignoble's 5 GPs, 2 pharmacists and the teleconsultant it shares with Orne-Est (demo/pools.py)
    assert summary.professionals == professionals.count() + 8


def test_orne_est_territory_sites_and_resources(summary: DemoSummary) -> None:
    territory = Territory.objects.get(cell=_orne())
    assert territory.name == "CPTS Orne-Est"
    assert 55 <= territory.communes.count() <= 65
    assert set(territory.communes.values_list("department", flat=True)) == {"61"}
    assert territory.communes.filter(insee_code__in=[data.ARGENTAN, data.L_AIGLE, data.GACE]).count() == 3
    assert ReorientationResource.objects.filter(cell=_orne()).count() == 30
    pharmacy = Site.objects.get(cell=_orne(), name="Pharmacie de Gacé")
    assert (pharmacy.kind, pharmacy.commune.insee_code) == (SiteKind.PHARMACY, data.GACE)
    kinds = list(Site.objects.filter(cell=_orne()).values_list("kind", flat=True))
    assert kinds.count(SiteKind.PHARMACY) == 6
    assert kinds.count(SiteKind.HOSPITAL) == 2
    assert 10 <= kinds.count(SiteKind.PRACTICE) + kinds.count(SiteKind.HEALTH_CENTRE) <= 12
    spot = Site.objects.get(cell=_orne(), kind=SiteKind.TELEMEDICINE_SPOT)
    assert spot.hours == "Du 15 juillet 14:00 au 31 août — lundi, mercredi, vendredi 14:00–18:00"
    assert Site.objects.get(cell=_orne(), name="SAS 61 — régulation libérale").kind == SiteKind.OTHER


def test_sud_loire_vignoble_is_a_small_separate_cell(summary: DemoSummary) -> None:
    cell = Cell.objects.get(slug="sud-loire-vignoble")
    territory = cell.territories.get()
    assert territory.name == "CPTS Sud Loire Vignoble"
    assert set(territory.communes.values_list("department", flat=True)) == {"44"}
    assert 15 <= territory.communes.count() <= 25
    assert Professional.objects.filter(cell=cell, profession=Profession.GP).exclude(teleconsultant_tier="").count() == 1
    assert Professional.objects.filter(cell=cell, profession=Profession.GP, teleconsultant_tier="").count() == 5
    assert Professional.objects.filter(cell=cell, profession=Profession.PHARMACIST).count() == 2
    assert ReorientationResource.objects.filter(cell=cell).count() == 3
    assert not Territory.objects.filter(cell=cell, communes__department="61").exists()


def test_every_place_lies_in_its_cells_territory(summary: DemoSummary) -> None:
    for cell in Cell.objects.all():
        territory = set(Commune.objects.filter(territories__cell=cell).values_list("pk", flat=True))
        assert set(Site.objects.filter(cell=cell).values_list("commune", flat=True)) <= territory
        resources = ReorientationResource.objects.filter(cell=cell)
        assert set(resources.exclude(commune=None).values_list("commune", flat=True)) <= territory
        for resource in resources:
            served = set(resource.communes_served.values_list("pk", flat=True))
            assert served, resource.name
            assert served <= territory, resource.name


def test_identifiers_and_phone_numbers_are_well_formed(summary: DemoSummary) -> None:
    rpps_numbers = list(Professional.objects.exclude(rpps="").values_list("rpps", flat=True))
    assert len(rpps_numbers) == len(set(rpps_numbers))
    for rpps in rpps_numbers:
        checked = check_rpps(rpps)
        assert (checked.value, checked.warnings) == (rpps, [])
        assert not rpps.startswith("10")  # the range of real RPPS numbers
    adeli = Professional.objects.exclude(adeli="").get()
    assert (adeli.profession, adeli.rpps, check_adeli(adeli.adeli).value[:2]) == (Profession.NURSE, "", "61")
    assistant = Professional.objects.get(profession=Profession.MEDICAL_ASSISTANT)
    assert assistant.identifier == ""
    for territory in Territory.objects.all():
        assert check_finess(territory.finess).warnings == []
    assert Territory.objects.get(cell=_orne()).finess.startswith("61")
    phones = [
        *Site.objects.values_list("phone", flat=True),
        *ReorientationResource.objects.exclude(phone="").values_list("phone", flat=True),
        *Professional.objects.values_list("phone", flat=True),
    ]
    for phone in phones:
        assert phonenumbers.is_valid_number(phone), phone
        # 02 61 91 xx xx: a block kept for fiction, so no demo number rings a real line.
        assert phonenumbers.format_number(phone, phonenumbers.PhoneNumberFormat.E164).startswith("+3326191"), phone


def test_demo_accounts_log_in_with_the_published_password(summary: DemoSummary) -> None:
    assert len(DEMO_PASSWORD) >= 12
    usernames = [account.username for account in data.ACCOUNTS]
    assert [username for username, _, _ in summary.accounts] == usernames
    for username in usernames:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username
    roles = {m.user.username: m for m in Membership.objects.select_related("user", "professional", "site")}
    assert roles["coordination"].role == Role.COORDINATOR
    assert roles["superviseur"].role == Role.SUPERVISOR
    assert roles["superviseur"].professional.profession == Profession.GP
    assert roles["dr-martin"].role == Role.EFFECTOR
    assert roles["dr-martin"].professional.last_name == "Martin"
    gace = roles["pharmacie-gace"]
    assert (gace.role, gace.requester_type, gace.site.name) == (Role.REQUESTER, "pharmacist", "Pharmacie de Gacé")
    assert gace.professional.sites.filter(pk=gace.site.pk).exists()
    sas = roles["sas61"]
    assert (sas.role, sas.requester_type, sas.site.name) == (
        Role.REQUESTER,
        "sas_regulator",
        "SAS 61 — régulation libérale",
    )
    assert roles["idel-cabourg"].professional.profession == Profession.NURSE
    assert roles["admin-orne"].role == Role.CELL_ADMIN
    assert roles["coordination-vignoble"].cell.slug == roles["admin-vignoble"].cell.slug == "sud-loire-vignoble"
    for membership in roles.values():
        assert membership.user.email.endswith("@example.org")
        assert membership.user.get_full_name()
        if membership.professional is not None:
            assert membership.professional.cell == membership.cell


def test_loading_twice_creates_nothing_new(summary: DemoSummary) -> None:
    before = _counts()
    assert summary.created > 0
    again = load_demo(history=False)
    assert _counts() == before
    assert again.created == 0
    assert (again.sites, again.professionals, again.resources) == (summary.sites, summary.professionals, 33)


def test_the_queue_of_the_demo_shows_a_working_day(summary: DemoSummary) -> None:
    orne = Cell.objects.get(slug=data.ORNE.slug)
    statuses = set(Request.objects.filter(cell=orne).values_list("status", flat=True))
    assert {Status.RECEIVED, Status.IN_PROGRESS, Status.TO_VALIDATE, Status.REORIENTED, Status.CLOSED} <= statuses
    assert DuplicateFlag.objects.filter(first__cell=orne).exists()
    assert not Request.objects.filter(cell__slug="sud-loire-vignoble").exists()


def test_loading_restores_a_changed_demo_password(summary: DemoSummary) -> None:
    user = User.objects.get(username="coordination")
    user.set_password("something-else-entirely")
    user.save()
    load_demo(history=False)
    assert authenticate(username="coordination", password=DEMO_PASSWORD) is not None


def test_the_command_refuses_outside_a_demo(settings: object) -> None:
    settings.AIGUILLAGE_DEMO = False
    with pytest.raises(CommandError, match="AIGUILLAGE_DEMO"):
        call_command("load_demo", stdout=StringIO())
    assert not Cell.objects.filter(slug=data.ORNE.slug).exists()


def test_the_command_prints_the_accounts_and_runs_twice(settings: object) -> None:
    settings.AIGUILLAGE_DEMO = True
    out = StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert "Attention : données fictives" in text
    assert f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD})" in text
    assert "dr-martin" in text and "CSNP Orne-Est" in text
    assert "rien de nouveau à créer" in text
    assert Cell.objects.filter(slug__in=[data.ORNE.slug, data.VIGNOBLE.slug]).count() == 2


def test_force_loads_even_outside_a_demo(settings: object) -> None:
    settings.AIGUILLAGE_DEMO = False
    call_command("load_demo", "--force", stdout=StringIO())
    assert Cell.objects.filter(slug=data.ORNE.slug).exists()


def test_a_regional_teleconsultant_of_the_vignoble_is_shared_with_orne_est(summary: DemoSummary) -> None:
    from agenda.models import Slot
    from directory.models import AgreementStatus, PoolAgreement

    agreement = PoolAgreement.objects.select_related("professional__cell", "cell").get()
    assert (agreement.professional.cell.slug, agreement.cell.slug) == ("sud-loire-vignoble", "orne-est")
    assert (agreement.status, agreement.tier) == (AgreementStatus.ACCEPTED, "regional")
    pool_times = Slot.objects.teleconsultant_times().seen_by(agreement.cell_id).exclude(cell=agreement.cell_id)
    assert pool_times.filter(professional=agreement.professional).exists()


def test_the_shared_teleconsultant_logs_in_as_an_effector_of_her_home_cell(summary: DemoSummary) -> None:
    from directory.models import PoolAgreement

    doctor = PoolAgreement.objects.get().professional
    user = authenticate(username="teleconsultante-regionale", password=DEMO_PASSWORD)
    assert user is not None
    membership = Membership.objects.select_related("cell").get(user=user)
    assert (membership.role, membership.professional_id, membership.cell.slug) == (
        Role.EFFECTOR,
        doctor.pk,
        "sud-loire-vignoble",
    )
    assert (user.first_name, user.last_name) == ("Gwenaëlle", "Kerbrat")
    assert ("teleconsultante-regionale", str(Role.EFFECTOR.label), "CPTS Sud Loire Vignoble") in summary.accounts


def test_orne_est_books_two_spot_times_paired_with_the_shared_teleconsultant(summary: DemoSummary) -> None:
    from agenda.models import Booking, BookingStatus, SlotStatus
    from directory.models import PoolAgreement

    agreement = PoolAgreement.objects.select_related("professional", "cell").get()
    bookings = list(
        Booking.objects.filter(paired_slot__professional=agreement.professional)
        .select_related("slot__site", "paired_slot", "request__cell")
        .order_by("slot__starts_at")
    )
    assert len(bookings) == 2
    first, second = bookings
    for booking in bookings:
        assert booking.status == BookingStatus.BOOKED
        assert booking.request.cell == agreement.cell  # an Orne-Est request...
        assert booking.request.status == Status.ORIENTED
        assert booking.slot.site.kind == SiteKind.TELEMEDICINE_SPOT  # ...at its spot...
        assert booking.slot.cell == agreement.cell
        paired = booking.paired_slot
        assert paired.cell == agreement.professional.cell  # ...on her time in the Vignoble's agenda
        assert (paired.starts_at, paired.booked, paired.status) == (booking.slot.starts_at, 1, SlotStatus.OPEN)
        assert timezone.localtime(paired.starts_at).weekday() in (0, 4)  # her Monday or Friday afternoon
        assert paired.starts_at > timezone.now()
    assert second.slot.starts_at - first.slot.starts_at == timedelta(minutes=20)
    assert [booking.request.patient_last_name for booking in bookings] == ["Lemonnier", "Bazire"]
    # loaded again the same day: nothing more
    load_demo(history=False)
    assert Booking.objects.filter(paired_slot__professional=agreement.professional).count() == 2
