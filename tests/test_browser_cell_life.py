"""Running a cell for real (issue 21), in a real browser on PostgreSQL: each journey is done in the pages by the person
whose work it is, and the test reads what the next person receives (the outbox, the pages, the PDF)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pypdfium2 as pdfium
import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from accounts.models import Role
from agenda.models import Booking, Slot
from agenda.services import StopData, slot_book, tour_save
from audit.models import AccessEvent
from common.holidays import is_public_holiday
from directory.models import Professional, Site
from notifications.models import Message, MessageKind
from referrals.models import Request
from referrals.states import Status
from territory.tests.closing import close_until_the_day_after_tomorrow

from .browser import log_in, log_out, screenshot
from .factories import ProfessionalFactory, SiteFactory, commune
from .test_browser_journeys import (  # noqa: F401 (day: the fixture)
    ARGENTAN,
    GACE,
    Day,
    _member,
    a_request,
    day,
    send_a_patient,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _physio_slot(site: Site, physio: Professional, start: datetime) -> Slot:
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


def test_a_request_sent_while_the_cell_is_closed_gets_the_closed_cell_answer(
    live_server: object,
    page: Page,
    day: Day,  # noqa: F811 (the journeys' fixture)
) -> None:
    """The pharmacist sends a patient in the evening, the cell closed until the day after tomorrow: the request is
    taken, and the page says when the cell reopens and to call the 15 for a vital emergency."""
    base = str(live_server)
    reopens = timezone.localtime(close_until_the_day_after_tomorrow(day.cell))
    log_in(page, base, "pharmacie")
    send_a_patient(
        page, "Prud'homme-Vautier", "Anne-Sophie", "1957-02-14", "06 33 44 55 66",
        "Douleur à l'oreille depuis hier soir, fièvre à 38,5.", "fever_infection",
    )  # fmt: skip
    answer = page.locator("p.closed-answer")
    expect(answer).to_contain_text("La cellule est fermée")
    expect(answer).to_contain_text(f"{reopens.day} {date_format(reopens, 'F')}")
    expect(answer).to_contain_text("8 h")
    expect(answer).to_contain_text("15")
    screenshot(page, "closed-cell-answer")
    request = Request.objects.get(patient_last_name="Prud'homme-Vautier")
    assert request.status == Status.RECEIVED  # taken all the same: it waits in the queue


def test_a_coordinator_prints_the_day_sheet_of_a_medicobus_stop(
    live_server: object,
    page: Page,
    day: Day,  # noqa: F811 (the journeys' fixture)
) -> None:
    """From the agenda's tours, the coordinator prints the day sheet of the Médicobus: the page lists the stop's
    patients with time, phone and reason, and the PDF says the same (read back from the file)."""
    base = str(live_server)
    stop_day = timezone.localdate() + timedelta(days=1)
    while is_public_holiday(stop_day):
        stop_day += timedelta(days=1)
    driver = ProfessionalFactory(cell=day.cell, first_name="Bertrand", last_name="Quesnel-Duchemin")
    tour = tour_save(
        cell=day.cell, name="Médicobus du Pays d'Argentan et des Marches de Normandie", doctor=driver,
        first_day=stop_day, last_day=stop_day + timedelta(days=6),
        stops=[StopData(stop_day.weekday(), commune(GACE), "Place du Marché couvert", time(9), time(11))],
    ).tour  # fmt: skip
    first_slot = Slot.objects.filter(plan__tour=tour).order_by("starts_at").first()
    assert first_slot is not None and timezone.localtime(first_slot.starts_at).date() == stop_day
    request = a_request(day, "Levasseur-Bellanger", phone="+33644556677", reason="Plaie du pied diabétique à revoir")
    slot_book(slot=first_slot, request=request, user=day.users["coordination"])

    log_in(page, base, "coordination")
    page.goto(f"{base}/c/{day.cell.slug}/agenda/tournees/")
    sheet_form = page.locator("form.daysheet-form").first
    sheet_form.locator("input[type=date]").fill(stop_day.isoformat())
    sheet_form.get_by_role("button", name=re.compile("Imprimer la feuille du jour")).click()
    sheet = page.locator("main")
    expect(sheet).to_contain_text("Place du Marché couvert")
    expect(sheet).to_contain_text("LEVASSEUR-BELLANGER")
    expect(sheet).to_contain_text("06 44 55 66 77")
    expect(sheet).to_contain_text("Plaie du pied diabétique à revoir")
    expect(sheet).to_contain_text(f"{timezone.localtime(first_slot.starts_at):%H:%M}")
    screenshot(page, "daysheet-medicobus")
    pdf_link = page.locator("#daysheet-pdf")
    answer = page.request.get(base + (pdf_link.get_attribute("href") or ""))
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    document = pdfium.PdfDocument(answer.body())
    # The text as a reader gets it, the table cells' line breaks aside (pdfium marks a hyphen where a line may
    # break as U+FFFE).
    pages = (document[i].get_textpage().get_text_range().replace("\ufffe", "-") for i in range(len(document)))
    text = " ".join(" ".join(page_text.split()) for page_text in pages)
    for shown in ("LEVASSEUR-BELLANGER", "06 44 55 66 77", "Place du Marché couvert", "Plaie du pied diabétique"):
        assert shown in text, (shown, text)
    assert f"{timezone.localtime(first_slot.starts_at):%H:%M}" in text
    logged = AccessEvent.objects.filter(subjects__contains=f",{request.pk},", user__username="coordination")
    assert {"day_sheet", "day_sheet_pdf"} <= set(logged.values_list("object_type", flat=True))
