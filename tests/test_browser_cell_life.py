"""Running a cell for real (issue 21), in a real browser on PostgreSQL: each journey is done in the pages by the person
whose work it is, and the test reads what the next person receives (the outbox, the pages, the PDF)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role
from agenda.models import Booking, Slot
from directory.models import Site
from notifications.models import Message, MessageKind
from referrals.models import Request
from referrals.states import Status

from .browser import log_in, log_out, screenshot
from .factories import ProfessionalFactory, SiteFactory, commune
from .test_browser_journeys import ARGENTAN, Day, _member, a_request, day  # noqa: F401 (day: the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _physio_slot(site: Site, physio: object, start: object) -> Slot:
    return Slot.objects.create(
        cell=site.cell, professional=physio, site=site, starts_at=start, ends_at=start + timedelta(minutes=30),
        care_channel="physiotherapy", modality="in_person",
    )  # fmt: skip


def test_a_physiotherapy_series_of_two_sessions_booked_then_recorded(
    live_server: object,
    page: Page,
    day: Day,  # noqa: F811 (the journeys' fixture)
) -> None:
    """The coordinator sets a series of two sessions and books both from the request's page; the patient and the
    physiotherapist hear of each; the physiotherapist records each session; the request ends with the second."""
    base = str(live_server)
    practice: Site = SiteFactory(
        cell=day.cell, name="Cabinet de kinésithérapie des Marches de Normandie", address="3 rue de la Poterie",
        commune=commune(ARGENTAN),
    )  # fmt: skip
    physio = ProfessionalFactory(
        cell=day.cell, first_name="Mathilde", last_name="Vasseur-Lebrun", profession="physiotherapist",
        email="kine.vasseur@example.org",
    )  # fmt: skip
    _member(day.cell, "kine", Role.EFFECTOR, physio)
    tomorrow = timezone.localtime() + timedelta(days=1)
    first_start = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)
    second_start = first_start + timedelta(days=2)
    first, second = _physio_slot(practice, physio, first_start), _physio_slot(practice, physio, second_start)
    request = a_request(
        day, "Grandjean-Pelletier", care_channel="physiotherapy", phone="+33622334455",
        reason="Entorse de cheville, rééducation à débuter",
    )  # fmt: skip

    log_in(page, base, "coordination")
    page.goto(f"{base}/c/{day.cell.slug}/demandes/{request.pk}/")
    series = page.locator("section", has=page.get_by_role("heading", name="Série de séances"))
    series.get_by_label("Nombre de séances").fill("2")
    series.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").first).to_contain_text("Série de 2 séances enregistrée")
    expect(series).to_contain_text("Séance 2 sur 2")
    page.locator("table.slots tr").filter(has_text=f"{first_start:%d/%m %H:%M}").get_by_role(
        "button", name=re.compile("Réserver")
    ).click()
    expect(page.get_by_role("status").first).to_contain_text("Rendez-vous réservé")
    # The series waits for its second session: the finder is in the series' box now.
    series.locator("table.slots tr").filter(has_text=f"{second_start:%d/%m %H:%M}").get_by_role(
        "button", name=re.compile("Réserver")
    ).click()
    expect(page.get_by_role("status").first).to_contain_text("Rendez-vous réservé")
    expect(series).not_to_contain_text("À réserver")
    screenshot(page, "series-booked")
    log_out(page)

    request.refresh_from_db()
    assert (request.status, request.sessions, request.sessions_taken) == (Status.ORIENTED, 2, 2)
    to_patient = Message.objects.filter(request=request, kind=MessageKind.PATIENT_BOOKED).order_by("pk")
    assert all(f"{start:%d/%m}" in sms.body for sms, start in zip(to_patient, (first_start, second_start), strict=True))
    to_physio = Message.objects.filter(request=request, kind=MessageKind.EFFECTOR_BOOKED, to=physio.email)
    assert to_physio.count() == 2

    # Time passes: both sessions took place (the slots moved into the past, as the clock would have).
    for slot, hours in ((first, 3), (second, 2)):
        start = timezone.now() - timedelta(hours=hours)
        Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(minutes=30))
    log_in(page, base, "kine")
    page.get_by_role("link", name="Mes rendez-vous").first.click()
    for number in (1, 2):
        card = page.locator("article.appointment", has_text="GRANDJEAN-PELLETIER").filter(
            has_text=f"Séance {number} sur 2"
        )
        expect(card).to_be_visible()
        card.get_by_role("link", name=re.compile("Noter ce qui s'est passé")).click()
        page.get_by_label("a été vu").check()
        page.get_by_role("button", name="Enregistrer", exact=True).click()
        expect(page.get_by_role("status").first).to_contain_text("la cellule de coordination le voit")
        request.refresh_from_db()
        assert request.status == (Status.ORIENTED if number == 1 else Status.SEEN)
        page.get_by_role("link", name="Mes rendez-vous").first.click()
    screenshot(page, "series-recorded")
    assert list(Booking.objects.filter(request=request).values_list("session", "status").order_by("session")) == [
        (1, "seen"),
        (2, "seen"),
    ]
    assert Request.objects.get(pk=request.pk).events.filter(kind="session").count() >= 2
