"""The hand-offs of a real day (issue 19), one journey per role, in a real browser on PostgreSQL: each person does their
part in the pages, and the test reads what the next person receives — the SMS and e-mails exactly as queued in the
outbox with a long https address, the pages each effector sees, the outcome reaching the coordinator and the médecin
traitant's summary.

The world is small and built by the domain services (no demo: fast), with long real-life names: a cell, a practice, a
telemedicine spot with its IDEL, a teleconsultant, a requesting pharmacist, a coordinator, a supervising doctor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from agenda.models import Booking, Slot, TeleconsultationDebrief, TelemedicineSpot
from agenda.services import booking_note_set, booking_outcome, slot_book
from demo.data import DEMO_PASSWORD
from directory.models import Site
from notifications.models import Message, MessageKind
from notifications.sms import segments
from referrals import services
from referrals.models import EventKind, Request
from referrals.states import Status
from referrals.tests.factories import make_request
from surveys.models import SurveyPolicy
from territory.models import Cell

from .browser import log_in, log_out, screenshot
from .factories import CellFactory, MembershipFactory, ProfessionalFactory, SiteFactory, TerritoryFactory, commune

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_BASE = "https://coordination-des-soins-non-programmes.cpts-du-pays-d-argentan-et-des-marches.example.fr"
ARGENTAN, GACE, VIMOUTIERS = "61006", "61181", "61508"
PROS_PHONE, PATIENTS_PHONE = "+33233000000", "+33233111111"


@dataclass
class Day:
    cell: Cell
    site: Any
    gp: Any
    spot_site: Any
    nurse: Any
    teleconsultant: Any
    pharmacist: Any
    users: dict[str, User]


def _member(cell: Cell, username: str, role: str, professional: Any = None, **fields: Any) -> User:
    membership = MembershipFactory(
        user__username=username, user__email=f"{username}@example.org", cell=cell, role=role,
        professional=professional, **fields,
    )  # fmt: skip
    user: User = membership.user
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


@pytest.fixture
def day(settings: Any, communes: None) -> Day:
    settings.AIGUILLAGE_BASE_URL = LONG_BASE
    cell: Cell = CellFactory(
        name="Cellule de coordination des soins non programmés du Pays d'Argentan",
        slug="pays-argentan",
        phone=PROS_PHONE,
        patient_phone=PATIENTS_PHONE,
    )
    TerritoryFactory(cell=cell, name="CPTS du Pays d'Argentan", communes=[ARGENTAN, GACE, VIMOUTIERS])
    SurveyPolicy.objects.create(cell=cell, is_active=False)
    site = SiteFactory(
        cell=cell,
        name="Maison de santé pluriprofessionnelle du Pays d'Argentan et des Marches de Normandie",
        sms_name="MSP d'Argentan",
        address="14 rue des Capucins",
        commune=commune(ARGENTAN),
    )
    gp = ProfessionalFactory(
        cell=cell, first_name="Claire", last_name="Martin-Delacroix", email="dr.martin@example.org",
        phone="+33611000002",
    )  # fmt: skip
    gp.sites.add(site)
    spot_site: Site = SiteFactory(
        cell=cell, kind="telemedicine_spot", name="Spot de télémédecine estival de Vimoutiers",
        address="2 place de la Mairie", commune=commune(VIMOUTIERS),
    )  # fmt: skip
    nurse = ProfessionalFactory(
        cell=cell, first_name="Sébastien", last_name="Lemonnier", profession="nurse", phone="+33231915033",
        email="idel.lemonnier@example.org",
    )  # fmt: skip
    TelemedicineSpot.objects.create(cell=cell, site=spot_site).nurses.add(nurse)
    teleconsultant = ProfessionalFactory(
        cell=cell, first_name="Julien", last_name="Dumont", teleconsultant_tier="local", email="dr.dumont@example.org"
    )
    pharmacist = ProfessionalFactory(
        cell=cell, first_name="Florent", last_name="Lecoq", profession="pharmacist", email="pharmacie.lecoq@example.org"
    )
    ProfessionalFactory(cell=cell, first_name="Hélène", last_name="Roussel", email="dr.roussel@example.org")  # an MT
    supervisor_pro = ProfessionalFactory(cell=cell, first_name="Paul", last_name="Hébert", phone="+33611000001")
    users = {
        "coordination": _member(cell, "coordination", Role.COORDINATOR),
        "superviseur": _member(cell, "superviseur", Role.SUPERVISOR, supervisor_pro),
        "dr-martin": _member(cell, "dr-martin", Role.EFFECTOR, gp),
        "idel": _member(cell, "idel", Role.EFFECTOR, nurse),
        "teleconsultant": _member(cell, "teleconsultant", Role.EFFECTOR, teleconsultant),
        "pharmacie": _member(cell, "pharmacie", Role.REQUESTER, pharmacist, requester_type="pharmacist"),
    }
    return Day(cell, site, gp, spot_site, nurse, teleconsultant, pharmacist, users)


def a_request(day: Day, last_name: str, at: datetime | None = None, **fields: Any) -> Request:
    fields.setdefault("mt_name", "Hélène Roussel")
    fields.setdefault("mt_situation", "mt_unavailable")
    return make_request(
        day.cell, now=at, last_name=last_name, requester_professional=day.pharmacist,
        birth_date=datetime(1948, 7, 30).date(), **fields,
    )  # fmt: skip


def gp_slot(day: Day, start: datetime) -> Slot:
    return Slot.objects.create(
        cell=day.cell, professional=day.gp, site=day.site, starts_at=start, ends_at=start + timedelta(minutes=20),
        care_channel="gp", modality="in_person",
    )  # fmt: skip


def booked(day: Day, slot: Slot, request: Request) -> Booking:
    """Booked by the coordinator two hours before the slot (which may have started since)."""
    return slot_book(
        slot=slot, request=request, user=day.users["coordination"], now=slot.starts_at - timedelta(hours=2)
    )


def spot_booking(day: Day, start: datetime, last_name: str) -> Booking:
    Slot.objects.create(
        cell=day.cell, professional=day.teleconsultant, starts_at=start - timedelta(minutes=40),
        ends_at=start + timedelta(hours=2), care_channel="gp", modality="assisted_teleconsultation",
    )  # fmt: skip
    spot_slot = Slot.objects.create(
        cell=day.cell, site=day.spot_site, starts_at=start, ends_at=start + timedelta(minutes=20), care_channel="gp",
        modality="assisted_teleconsultation",
    )  # fmt: skip
    return booked(day, spot_slot, a_request(day, last_name, at=start - timedelta(hours=3)))


def message(request: Request, kind: str, to: str = "") -> Message:
    found = Message.objects.filter(request=request, kind=kind, **({"to": to} if to else {})).order_by("pk")
    assert found.exists(), f"no {kind} message{' to ' + to if to else ''}; queued: {list(found.values('kind', 'to'))}"
    return found.last()  # type: ignore[return-value]


def links(text: str) -> list[str]:
    return re.findall(r"https://\S+", text)


def local_path(link: str) -> str:
    assert link.startswith(LONG_BASE + "/"), link  # whole, on the cell's own address
    return link[len(LONG_BASE) :]


def send_a_patient(page: Page, last_name: str, first_name: str, born: str, phone: str, reason: str, kind: str) -> None:
    """The requester's web form filled as a pharmacist would (the patient at Gacé, chosen among the suggestions; the
    ER otherwise), sent, and its receipt shown."""
    page.get_by_role("link", name="Adresser un patient").first.click()
    page.get_by_role("textbox", name="Nom du patient", exact=True).fill(last_name)
    page.get_by_label("Prénom du patient").fill(first_name)
    page.get_by_label("Date de naissance").fill(born)
    place = page.get_by_label("Commune où se trouve le patient")
    place.fill("gacé")
    option = page.locator("#id_patient_commune-suggestions option").first
    expect(option).to_have_attribute("value", re.compile("Gacé"))
    place.fill(option.get_attribute("value") or "")
    page.get_by_label("Téléphone du patient").fill(phone)
    page.get_by_label("Motif de la demande").fill(reason)
    page.get_by_label("Type de motif").select_option(kind)
    page.get_by_label("Sans la cellule, le patient serait allé").select_option("er")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("status").first).to_contain_text("reçue")


def test_the_requester_sends_a_patient_and_follows_them_to_the_consultation(
    live_server: object, page: Page, day: Day
) -> None:
    base = str(live_server)
    log_in(page, base, "pharmacie")
    send_a_patient(
        page, "Belkacem-Laurent", "Inès-Marguerite", "1939-11-02", "06 22 33 44 55",
        "Toux productive depuis 5 jours, essoufflement à l'effort.", "respiratory",
    )  # fmt: skip
    request = Request.objects.get(patient_last_name="Belkacem-Laurent")

    # The cell calls the patient back and books Dr Martin-Delacroix tomorrow at 10:00: the requester is told where.
    coordinator = day.users["coordination"]
    services.request_take(request=request, user=coordinator)
    services.callback_log(request=request, user=coordinator, outcome="reached")
    start = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), datetime.min.time()))
    slot = gp_slot(day, start + timedelta(hours=10))
    slot_book(slot=slot, request=request, user=coordinator)
    told = message(request, MessageKind.REQUEST_ORIENTED)
    assert told.to == "pharmacie.lecoq@example.org" and told.channel == "email"
    assert f"{timezone.localtime(slot.starts_at):%d/%m/%Y %H:%M}" in told.body and "02 33 00 00 00" in told.body
    assert any(link.endswith(f"/demandes/{request.pk}/") for link in map(local_path, links(told.body)))

    page.get_by_role("link", name="Mes demandes").first.click()
    row = page.get_by_role("row").filter(has_text="BELKACEM-LAURENT")
    expect(row).to_contain_text("Orientée")
    row.get_by_role("link").first.click()
    expect(page.locator("ol.timeline")).to_contain_text(f"{timezone.localtime(slot.starts_at):%d/%m/%Y %H:%M}")
    expect(page.locator("main")).not_to_contain_text("Note pour l'effecteur")  # the cell's own notes stay inside
    screenshot(page, "journey-requester")


def test_the_coordinator_takes_calls_and_books_and_the_patient_and_the_gp_are_told(
    live_server: object, page: Page, day: Day
) -> None:
    base = str(live_server)
    request = a_request(day, "Fourcroy", phone="+33611223344")
    tomorrow = timezone.localdate() + timedelta(days=1)
    slot = gp_slot(day, timezone.make_aware(datetime.combine(tomorrow, datetime.min.time())) + timedelta(hours=9))
    log_in(page, base, "coordination")
    page.goto(f"{base}/c/{day.cell.slug}/demandes/")
    page.get_by_role("link", name=re.compile("FOURCROY")).first.click()
    page.get_by_role("button", name="Prendre cette demande").click()
    # The call in a few keystrokes: the outcome is focused, arrows choose, Enter records.
    focused = page.locator("input[name='callback-outcome']:focus")
    expect(focused).to_have_count(1)
    page.get_by_label("Joint", exact=True).check()
    page.keyboard.press("Enter")
    calls = page.locator("section", has=page.get_by_role("heading", name="Appels")).locator("table")
    expect(calls).to_contain_text("Joint")
    wanted = page.locator("table.slots tr").filter(has_text=f"{timezone.localtime(slot.starts_at):%d/%m %H:%M}")
    wanted.get_by_role("button", name=re.compile("Réserver")).first.click()
    expect(page.get_by_role("status").first).to_contain_text("Rendez-vous réservé")
    page.get_by_label("La note de la cellule pour l'effecteur").fill("Vient avec son fils de 4 ans.")
    page.get_by_role("button", name="Enregistrer la note").click()
    expect(page.get_by_role("status").first).to_contain_text("Note pour l'effecteur enregistrée")
    screenshot(page, "journey-coordinator")

    sms = message(request, MessageKind.PATIENT_BOOKED)
    local = timezone.localtime(slot.starts_at)
    assert sms.to == "+33611223344" and sms.channel == "sms"
    assert f"{local:%d/%m}" in sms.body and f"{local:%H:%M}" in sms.body and "Argentan" in sms.body
    assert segments(sms.body) <= 2
    cancel = [link for link in links(sms.body) if "/a/" in link]
    assert len(cancel) == 1 and re.fullmatch(r"/a/[\w-]{22}/", local_path(cancel[0]))
    assert "02 33 00 00 00" not in sms.body and PROS_PHONE not in sms.body
    told = message(request, MessageKind.EFFECTOR_BOOKED, to="dr.martin@example.org")
    assert local_path(links(told.body)[0]) == f"/c/{day.cell.slug}/agenda/mes-rendez-vous/"
    assert "Fourcroy" not in told.body  # initials only by e-mail; the rest in Aiguillage


def test_the_supervisor_is_told_answers_and_the_coordinator_reads_it_first(
    live_server: object, page: Page, day: Day
) -> None:
    base = str(live_server)
    request = a_request(day, "Lehoux")
    services.request_take(request=request, user=day.users["coordination"])
    services.question_ask(
        request=request, user=day.users["coordination"], question="Brûlures mictionnelles à 78 ans : spot possible ?"
    )
    sms = message(request, MessageKind.SUPERVISOR_ASKED)
    assert (sms.channel, sms.to) == ("sms", "+33611000001")
    assert request.reference in sms.body and "Lehoux" not in sms.body and "mictionnelles" not in sms.body
    inbox = local_path(links(sms.body)[0])

    log_in(page, base, "superviseur")
    page.goto(base + inbox)
    card = page.locator("section.card", has_text="LEHOUX")
    expect(card).to_contain_text("spot possible ?")
    card.get_by_label("Décision").select_option(index=1)
    card.get_by_label("Note pour le coordinateur").fill("Oui, spot de Vimoutiers cet après-midi.")
    card.get_by_role("button", name="Répondre").click()
    expect(page.locator("main")).to_contain_text("Aucune question en attente")
    log_out(page)

    log_in(page, base, "coordination")
    page.goto(f"{base}/c/{day.cell.slug}/demandes/")
    expect(page.get_by_role("row").filter(has_text="LEHOUX")).to_contain_text("réponse du superviseur à lire")
    page.get_by_role("link", name=re.compile("LEHOUX")).first.click()
    answer = page.locator(".answer-waiting")
    expect(answer).to_contain_text("Oui, spot de Vimoutiers cet après-midi.")
    assert page.locator(".answer-waiting").bounding_box()["y"] < page.locator("#handling").bounding_box()["y"]  # type: ignore[index]
    screenshot(page, "journey-supervisor-answer")


def test_the_gp_sees_the_days_patients_and_records_the_outcome_for_the_cell_and_the_mt(
    live_server: object, page: Page, day: Day
) -> None:
    base = str(live_server)
    request = a_request(day, "Duvivier", at=timezone.now() - timedelta(hours=4))
    booking = booked(day, gp_slot(day, timezone.now() - timedelta(minutes=15)), request)
    booking_note_set(booking=booking, user=day.users["coordination"], note="Malentendant : parler face à lui.")
    log_in(page, base, "dr-martin")
    page.get_by_role("link", name="Mes rendez-vous").first.click()
    card = page.locator("article.appointment", has_text="DUVIVIER")
    for shown in ("78 ans", "06 12 34 56 78", "Fièvre depuis deux jours", "LECOQ", "Hélène Roussel",
                  "Malentendant : parler face à lui.", "14 rue des Capucins"):  # fmt: skip
        expect(card).to_contain_text(shown)
    card.get_by_role("link", name=re.compile("Noter ce qui s'est passé")).click()
    page.get_by_label("a été vu").check()
    page.get_by_label("Un suivi par le médecin traitant est nécessaire").check()
    page.get_by_label("Note pour le médecin traitant").fill("Otite moyenne aiguë, amoxicilline 6 jours.")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("la cellule de coordination le voit")
    screenshot(page, "journey-gp")

    request.refresh_from_db()
    assert request.status == Status.SEEN
    seen = request.events.get(to_status=Status.SEEN)
    assert seen.actor == day.users["dr-martin"] and "amoxicilline" in seen.text
    summary = message(request, MessageKind.MT_SUMMARY, to="dr.roussel@example.org")
    assert "Otite moyenne aiguë, amoxicilline 6 jours." in summary.details and "suivi" in summary.details


def test_the_teleconsultant_sees_the_spot_and_its_idel_and_records_the_outcome(
    live_server: object, page: Page, day: Day
) -> None:
    base = str(live_server)
    booking = spot_booking(day, timezone.now() - timedelta(minutes=10), "Marchand")
    log_in(page, base, "teleconsultant")
    page.get_by_role("link", name="Mes rendez-vous").first.click()
    card = page.locator("article.appointment", has_text="MARCHAND")
    expect(card).to_contain_text("Spot de télémédecine estival de Vimoutiers")
    expect(card).to_contain_text("Sébastien LEMONNIER")
    expect(card).to_contain_text("02 31 91 50 33")
    card.get_by_role("link", name=re.compile("Noter ce qui s'est passé")).click()
    page.get_by_label("a été vu").check()
    page.get_by_label("Note pour le médecin traitant").fill("Cystite simple, fosfomycine dose unique.")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("la cellule de coordination le voit")
    summary = message(booking.request, MessageKind.MT_SUMMARY)
    assert "Julien DUMONT" in summary.details and "Spot de télémédecine estival de Vimoutiers" in summary.details
    assert "fosfomycine" in summary.details


def test_the_spot_idel_sees_her_patient_and_her_debrief_reaches_the_cell_and_the_mt(
    live_server: object, page: Page, day: Day
) -> None:
    base = str(live_server)
    booking = spot_booking(day, timezone.now() - timedelta(minutes=30), "Lehoux")
    booking_outcome(
        booking=booking, user=day.users["teleconsultant"], professional=day.teleconsultant, seen=True,
        note="Cystite simple.",
    )  # fmt: skip
    log_in(page, base, "idel")
    page.get_by_role("link", name="Mes rendez-vous").first.click()
    card = page.locator("article.appointment", has_text="LEHOUX")
    expect(card).to_contain_text("Julien DUMONT")
    card.get_by_role("link", name=re.compile("Enregistrer le débriefing")).click()
    page.get_by_label("Le patient a compris le diagnostic et la suite à donner").check()
    page.get_by_label("Suite convenue avec le patient").fill("Fosfomycine ce soir ; revoir le MT si fièvre.")
    page.get_by_label("Une pharmacie").check()
    page.get_by_role("button", name="Enregistrer le débriefing").click()
    expect(page.locator("#error-summary")).to_contain_text("quelle pharmacie")  # who takes over, named
    expect(page.get_by_label("Suite convenue avec le patient")).to_have_value(
        "Fosfomycine ce soir ; revoir le MT si fièvre."
    )
    page.get_by_label("Quelle pharmacie, quelle infirmière ou quelle personne, et quand").fill("Pharmacie du Marché")
    page.get_by_role("button", name="Enregistrer le débriefing").click()
    expect(page.get_by_role("status").first).to_contain_text("Débriefing enregistré")
    screenshot(page, "journey-idel")

    assert TeleconsultationDebrief.objects.get(booking=booking).by == day.users["idel"]
    assert booking.request.events.filter(kind=EventKind.DEBRIEF, text__contains="Pharmacie du Marché").exists()
    summaries = Message.objects.filter(request=booking.request, kind=MessageKind.MT_SUMMARY).order_by("pk")
    assert summaries.count() == 2  # the summary, then the debrief that followed it
    last = summaries.last()
    assert last is not None and "Pharmacie du Marché" in last.details


def test_the_patient_reads_the_sms_and_cancels_from_its_link(live_server: object, page: Page, day: Day) -> None:
    base = str(live_server)
    request = a_request(day, "Vasseur", phone="+33633445566")
    tomorrow = timezone.localdate() + timedelta(days=1)
    slot = gp_slot(day, timezone.make_aware(datetime.combine(tomorrow, datetime.min.time())) + timedelta(hours=16))
    slot_book(slot=slot, request=request, user=day.users["coordination"])
    sms = message(request, MessageKind.PATIENT_BOOKED)
    local = timezone.localtime(slot.starts_at)
    assert f"{local:%d/%m}" in sms.body and f"{local:%H:%M}" in sms.body and segments(sms.body) <= 2
    link = next(link for link in links(sms.body) if "/a/" in link)

    page.goto(base + local_path(link))
    expect(page.locator("main")).to_contain_text(f"{local:%H:%M}")
    expect(page.locator("main")).to_contain_text("14 rue des Capucins")
    page.get_by_role("button", name="Annuler mon rendez-vous").click()
    expect(page.locator("main")).to_contain_text("Voulez-vous vraiment annuler")
    assert Booking.objects.get(request=request).status == "booked"  # one tap cancels nothing
    page.get_by_role("button", name="Oui, l’annuler").click()
    expect(page.locator("main")).to_contain_text("annulé")
    page.goto(base + local_path(link))  # opened again
    expect(page.locator("main")).to_contain_text("déjà annulé")
    expect(page.locator("main")).to_contain_text("02 33 11 11 11")  # the cell's number for patients
    expect(page.locator("main")).not_to_contain_text("02 33 00 00 00")
    screenshot(page, "journey-patient")
    told = message(request, MessageKind.EFFECTOR_CANCELLED, to="dr.martin@example.org")
    assert f"{local:%d/%m/%Y %H:%M}" in told.body
