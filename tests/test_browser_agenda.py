"""In a real browser: booking through each path of the agenda (seed 004 and PRODUCT.md): a pharmacist books a GP's
slot directly, a GP books imaging directly, a coordinator books an assisted teleconsultation (the teleconsultant is
paired, with their tier) and a Médicobus stop; an effector sets a recurring plan."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from .browser import log_in, log_out, screenshot
from .test_browser_referrals import fill_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def send_with_a_direct_booking(page: Page, base: str, username: str, surname: str, slot_text: str) -> None:
    log_in(page, base, username)
    page.get_by_role("link", name="Adresser un patient").first.click()
    fill_patient(page, surname)
    if slot_text == "Radiographie":
        page.get_by_label("Soins demandés").select_option("imaging")
        page.get_by_label("Examen d’imagerie").select_option("radiography")
    choice = page.get_by_label("Réserver un créneau maintenant")
    label = choice.locator("option", has_text=slot_text).first.inner_text()
    choice.select_option(label=label)
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Aurore {surname.upper()}")
    expect(page.locator(".status-line")).to_contain_text("Orientée")
    expect(page.get_by_role("heading", name="Rendez-vous", exact=True)).to_be_visible()


def test_a_pharmacist_books_a_gps_slot_directly_with_the_request(live_server: object, page: Page, demo: None) -> None:
    send_with_a_direct_booking(page, str(live_server), "pharmacie-gace", "Roussel", "Consultation")
    expect(page.locator("section", has=page.get_by_role("heading", name="Rendez-vous", exact=True))).to_contain_text(
        "18:"
    )
    screenshot(page, "direct-booking-pharmacist")


def test_a_gp_books_an_imaging_slot_directly(live_server: object, page: Page, demo: None) -> None:
    send_with_a_direct_booking(page, str(live_server), "medecin-gace", "Vasseur", "Radiographie")
    expect(page.locator("section", has=page.get_by_role("heading", name="Rendez-vous", exact=True))).to_contain_text(
        "Centre d'imagerie"
    )


def open_from_the_queue(page: Page, base: str, name: str) -> None:
    log_in(page, base, "coordination")
    page.get_by_role("link", name="File d’attente", exact=True).click()
    page.locator("#queue-rows tr", has_text=name).get_by_role("link", name=name).click()
    page.get_by_role("button", name="Prendre cette demande").click()


def book_first_of_modality(page: Page, modality: str) -> None:
    page.get_by_label("Modalité", exact=True).select_option(label=modality)
    first = page.locator("table.slots tbody tr").first
    expect(first).to_contain_text(modality)
    first.get_by_role("button", name=re.compile("Réserver")).click()
    expect(page.get_by_role("status").first).to_contain_text("Rendez-vous réservé")
    expect(page.locator(".status-line")).to_contain_text("Orientée")


def test_a_coordinator_books_an_assisted_teleconsultation_with_a_paired_teleconsultant(
    live_server: object, page: Page, demo: None
) -> None:
    open_from_the_queue(page, str(live_server), "Chloé LEBRUN")
    book_first_of_modality(page, "Téléconsultation assistée")
    appointment = page.locator("section", has=page.get_by_role("heading", name="Rendez-vous", exact=True))
    expect(appointment).to_contain_text("Spot de télémédecine")
    expect(appointment).to_contain_text(re.compile(r"Téléconsultant : .+ \((Volontaire du territoire|Vivier)"))
    screenshot(page, "assisted-teleconsultation")


def test_a_coordinator_books_a_médicobus_stop(live_server: object, page: Page, demo: None) -> None:
    open_from_the_queue(page, str(live_server), "Chloé LEBRUN")
    book_first_of_modality(page, "Médicobus")
    appointment = page.locator("section", has=page.get_by_role("heading", name="Rendez-vous", exact=True))
    expect(appointment).to_contain_text(re.compile("Place du Marché|Parking de la mairie|Place de l'Église|Salle des"))
    page.locator("summary", has_text="Déplacer le rendez-vous").click()  # then the patient asks for another time
    appointment.locator("table.slots tbody tr").first.get_by_role("button", name=re.compile("Déplacer ici")).click()
    expect(page.get_by_role("status").first).to_contain_text("Rendez-vous déplacé")
    expect(page.locator("ol.timeline")).to_contain_text("Rendez-vous déplacé")
    expect(page.locator(".status-line")).to_contain_text("Orientée")


def test_an_effector_sets_a_weekly_plan_and_sees_its_slots(live_server: object, page: Page, demo: None) -> None:
    from datetime import timedelta

    from django.utils import timezone

    base = str(live_server)
    log_in(page, base, "dr-martin")
    page.get_by_role("link", name="Publier des créneaux").first.click()
    page.get_by_role("link", name="Plans récurrents").click()
    page.get_by_role("link", name="Nouveau plan récurrent").click()
    page.get_by_label("samedi").check()
    page.locator("#id_start_time").fill("09:00")
    page.locator("#id_end_time").fill("10:00")
    page.get_by_role("button", name="Enregistrer le plan").click()  # no last day yet
    expect(page.locator("#error-summary")).to_contain_text("période définie")
    expect(page.locator("#id_start_time")).to_have_value("09:00")
    page.locator("#id_last_day").fill((timezone.localdate() + timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Enregistrer le plan").click()
    expect(page.get_by_role("status").first).to_contain_text("Plan enregistré")
    expect(page.locator("table.data tbody")).to_contain_text("samedi")
    screenshot(page, "plans")


def test_the_calendar_shows_the_week_and_filters_without_reloading(live_server: object, page: Page, demo: None) -> None:
    base = str(live_server)
    log_in(page, base, "coordination")
    page.get_by_role("link", name="Agenda", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agenda")
    events = page.locator(".fc-timegrid-event")
    expect(events.first).to_be_visible()
    everyone = events.count()
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Soins", exact=True).select_option("physiotherapy")
    expect(page.locator(".fc-timegrid-event")).not_to_have_count(everyone)
    assert page.evaluate("window.__sameDocument") is True
    page.get_by_role("button", name="Jour", exact=True).click()
    expect(page.locator(".fc-timeGridDay-view")).to_be_visible()
    screenshot(page, "calendar-day")


def test_an_effector_sees_their_own_agenda(live_server: object, page: Page, demo: None) -> None:
    base = str(live_server)
    log_in(page, base, "dr-martin")
    page.get_by_role("link", name="Agenda", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon agenda")
    expect(page.locator("#calendar-filters")).to_have_count(0)
    page.get_by_role("button", name="Planning", exact=True).click()
    page.locator(".fc-next-button").click()  # next week: their Monday and Wednesday evenings, whatever today is
    expect(page.locator(".fc-list-event").first).to_be_visible()
    screenshot(page, "calendar-effector")


def test_a_coordinator_changes_a_médicobus_stop(live_server: object, page: Page, demo: None) -> None:
    base = str(live_server)
    log_in(page, base, "coordination")
    page.get_by_role("link", name="Agenda", exact=True).click()
    page.get_by_role("link", name="Médicobus et points de télémédecine").click()
    tour = page.locator("section.card", has_text="Tournée du Médicobus Orne-Est")
    expect(tour.locator("tbody tr")).to_have_count(4)
    expect(page.locator("table.data").last).to_contain_text("Spot de télémédecine")
    screenshot(page, "tours")
    tour.get_by_role("link", name="Tournée du Médicobus Orne-Est", exact=True).click()
    page.locator("#id_stops-3-place").fill("Parking de la salle des fêtes")
    page.get_by_role("button", name="Enregistrer la tournée").click()
    expect(page.get_by_role("status").first).to_contain_text("Tournée enregistrée")
    expect(page.locator("section.card", has_text="Tournée du Médicobus Orne-Est")).to_contain_text(
        "Parking de la salle des fêtes"
    )


def test_a_patient_cancels_from_the_link_and_the_slot_goes_to_a_waiting_request(
    live_server: object, page: Page, demo: None
) -> None:
    from agenda.models import Booking
    from notifications.models import Message

    base = str(live_server)
    open_from_the_queue(page, base, "Chloé LEBRUN")
    # A slot at least two hours ahead, so that the patient's link may still cancel it (not within the last hour),
    # whatever the time the test runs at: the finder may put a slot of this morning first.
    rows = page.locator("table.slots tbody tr")
    expect(rows.first).to_be_visible()
    later = timezone.localtime() + timedelta(hours=2)
    chosen = None
    for index in range(rows.count()):
        found = re.search(r"(\d{2})/(\d{2}) (\d{2}):(\d{2})", rows.nth(index).locator("td").first.inner_text())
        assert found is not None
        day, month, hour, minute = map(int, found.groups())
        year = later.year + (1 if month < later.month else 0)
        start = timezone.make_aware(datetime(year, month, day, hour, minute))
        if start >= later:
            chosen = rows.nth(index)
            break
    assert chosen is not None, "no slot two hours ahead in the finder"
    chosen.get_by_role("button", name=re.compile("Réserver")).click()
    expect(page.locator(".status-line")).to_contain_text("Orientée")
    log_out(page)

    sms = Message.objects.filter(kind="patient_booked", request__patient_last_name="Lebrun").get()
    link = re.search(r"https?://\S+/a/\S+/", sms.body)
    assert link is not None
    token = Booking.objects.get(request__patient_last_name="Lebrun", status="booked").cancel_token
    page.goto(f"{base}/a/{token}/")  # the link of the SMS, on the live server
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre rendez-vous")
    page.get_by_role("button", name="Annuler mon rendez-vous").click()
    expect(page.get_by_text("Voulez-vous vraiment annuler ce rendez-vous ?")).to_be_visible()
    page.get_by_role("button", name="Oui, l’annuler").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rendez-vous annulé")
    page.goto(f"{base}/a/{token}/")  # opened again from the SMS
    expect(page.locator("main")).to_contain_text("Ce rendez-vous est déjà annulé.")
    screenshot(page, "patient-cancelled")

    log_in(page, base, "coordination")
    page.get_by_role("link", name="File d’attente", exact=True).click()
    freed = page.locator("section.freed")
    expect(freed).to_be_visible()
    expect(freed.locator("li").first).to_be_visible()
    screenshot(page, "queue-freed-slot")
    waiting = freed.locator("li").first.get_by_role("link").inner_text()
    freed.locator("li").first.get_by_role("button", name=re.compile("Réserver")).click()
    expect(page.get_by_role("status").first).to_contain_text("Rendez-vous réservé")
    expect(page.get_by_role("heading", level=1)).to_contain_text(waiting)
