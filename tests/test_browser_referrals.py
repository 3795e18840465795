"""In a real browser: a request through each channel (web, phone, QR code, API) to orientation, reorientation and
closure, and a supervisor round trip, as the people of the cell do it."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from .browser import log_in, log_out, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_patient(page: Page, last_name: str) -> None:
    page.get_by_role("textbox", name="Nom du patient", exact=True).fill(last_name)
    page.get_by_label("Prénom du patient").fill("Aurore")
    page.get_by_label("Date de naissance").fill("1983-05-17")
    commune = page.get_by_label("Commune où se trouve le patient")
    commune.fill("vimou")
    option = page.locator("#id_patient_commune-suggestions option").first
    expect(option).to_have_attribute("value", re.compile("Vimoutiers"))
    commune.fill(option.get_attribute("value") or "")
    page.get_by_label("Téléphone du patient").fill("06 98 76 54 32")
    page.get_by_label("Motif de la demande").fill("Douleur dentaire et fièvre depuis hier.")
    page.get_by_label("Type de motif").select_option("pain")
    page.get_by_label("Sans la cellule, le patient serait allé").select_option("er")  # no default: it counts


SURNAMES = {
    ("web", "orient"): "Aubert",
    ("web", "reorient"): "Brunet",
    ("web", "close"): "Carpentier",
    ("phone", "orient"): "Deschamps",
    ("phone", "reorient"): "Etienne",
    ("phone", "close"): "Perrin",
    ("qr", "orient"): "Gauthier",
    ("qr", "reorient"): "Hamon",
    ("qr", "close"): "Jacquet",
    ("api", "orient"): "Lemaire",
    ("api", "reorient"): "Navarro",
    ("api", "close"): "Olivier",
}


def send_by_web(page: Page, base: str, surname: str) -> None:
    log_in(page, base, "pharmacie-gace")
    page.get_by_role("link", name="Adresser un patient").first.click()
    fill_patient(page, surname)
    screenshot(page, "intake-filled")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("status").first).to_contain_text("reçue")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Aurore {surname.upper()}")
    log_out(page)


def send_by_phone(page: Page, base: str, surname: str) -> None:
    log_in(page, base, "coordination")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Coordination")
    page.wait_for_load_state("load")
    page.keyboard.press("f")  # from the home page, the queue
    expect(page.get_by_role("heading", level=1)).to_have_text("File d’attente")
    page.keyboard.press("n")
    expect(page.get_by_role("heading", level=1)).to_have_text("Demande reçue par téléphone")
    # The requester is searched by name, profession or commune, and chosen with the keyboard.
    martin = page.locator("#id_requester_professional option", has_text="Claire MARTIN").get_attribute("value")
    expect(page.locator("#id_requester_professional")).to_be_hidden()  # the search field stands for it once ready
    requester = page.get_by_role("combobox", name="Professionnel adresseur")
    requester.fill("martin clai")
    expect(page.get_by_role("option", name=re.compile("Dr Claire MARTIN — Médecin généraliste"))).to_be_visible()
    requester.press("ArrowDown")
    requester.press("Enter")
    expect(page.locator("#id_requester_professional")).to_have_value(martin or "")
    expect(requester).to_have_value(re.compile("^Dr Claire MARTIN"))
    fill_patient(page, surname)
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Aurore {surname.upper()}")
    # Held by the coordinator who took the call: no colleague calls the same patient.
    expect(page.locator(".status-line")).to_contain_text("En cours")
    expect(page.get_by_role("button", name="Libérer")).to_be_visible()
    log_out(page)


def send_by_qr_code(page: Page, base: str, surname: str) -> None:
    from referrals.models import Partner

    partner = Partner.objects.get(name="Mairie de Gacé")
    page.goto(f"{base}/q/{partner.token}/")
    page.get_by_role("textbox", name="Nom", exact=True).fill(surname)
    page.get_by_role("textbox", name="Prénom", exact=True).fill("Aurore")
    page.get_by_label("Date de naissance").fill("2001-02-03")
    page.get_by_label("Numéro de téléphone").fill("06 55 44 33 22")
    page.get_by_label("Commune où vous vous trouvez").select_option(label="Gacé (61230)")
    page.get_by_label("En quelques mots").fill("Mal de gorge et fièvre depuis deux jours")
    page.get_by_label("J’accepte").check()
    page.wait_for_timeout(3200)  # a person takes a few seconds; a robot that sends at once is ignored
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci")
    expect(page.locator("main")).not_to_contain_text(surname)


def api_token() -> str:
    from accounts.models import Membership
    from api.services import api_token_create

    _token, clear = api_token_create(membership=Membership.objects.get(user__username="sas61"))
    return clear


def send_by_api(base: str, surname: str, token: str) -> int:
    body = {
        "patient": {
            "last_name": surname,
            "first_name": "Aurore",
            "commune_insee": "61006",
            "phone": "0611223344",
            "mt_situation": "mt_unavailable",
        },
        "need": {
            "reason": "Cystite récidivante",
            "reason_category": "urinary",
            "care_channel": "gp",
            "urgency": "48h",
            "elsewhere": "nowhere",
        },
    }
    call = urllib.request.Request(  # a real HTTP client against the live server
        f"{base}/api/v1/requests",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(call) as answer:
        assert answer.status == 201
        return int(json.loads(answer.read())["id"])


def status_by_api(base: str, pk: int, token: str) -> str:
    follow = urllib.request.Request(f"{base}/api/v1/requests/{pk}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(follow) as answer:
        return str(json.loads(answer.read())["status"])


def handle(page: Page, base: str, surname: str, ending: str) -> None:
    """The coordinator finds the request in the queue, takes it, calls, and ends it one of the three ways."""
    log_in(page, base, "coordination")
    page.get_by_role("link", name="File d’attente", exact=True).click()
    name = f"Aurore {surname.upper()}"
    row = page.locator("#queue-rows tr", has_text=name)
    row.get_by_role("link", name=name).click()
    # The buttons are counted below, so the request page must be there first (count() does not wait).
    page.wait_for_url(re.compile(r"/demandes/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(surname.upper())
    validate = page.get_by_role("button", name="Valider et placer dans la file d’attente")
    if validate.count():
        expect(page.locator(".status-line")).to_contain_text("À valider")
        validate.click()
    take = page.get_by_role("button", name="Prendre cette demande")
    if take.count():  # a request taken by phone is already theirs
        take.click()
    expect(page.locator(".status-line")).to_contain_text("En cours")
    page.get_by_label("Pas de réponse").check()
    page.get_by_role("button", name="Enregistrer l’appel").click()
    calls = page.locator("section", has=page.get_by_role("heading", name="Appels")).locator("table")
    expect(calls).to_contain_text("Pas de réponse")
    if ending == "orient":
        first = page.locator("table.slots tbody tr").first
        expect(first).to_contain_text("km")
        first.get_by_role("button", name=re.compile("Réserver")).click()
        expect(page.get_by_role("status").first).to_contain_text("Rendez-vous réservé")
        expect(page.locator(".status-line")).to_contain_text("Orientée")
        expect(page.get_by_role("heading", name="Rendez-vous", exact=True)).to_be_visible()
    elif ending == "reorient":
        page.locator("summary", has_text="Réorienter").click()
        page.get_by_role("combobox", name="Ressource", exact=True).select_option(index=1)
        page.get_by_role("combobox", name="Pourquoi", exact=True).select_option("other_care_fits")
        page.locator("#id_reorient-note").fill("Garde dentaire ce matin.")
        page.get_by_role("button", name="Réorienter le patient").click()
        expect(page.locator(".status-line")).to_contain_text("Réorientée")
    else:
        page.locator("summary", has_text="Clôturer").click()
        page.get_by_role("combobox", name="Motif", exact=True).select_option("refused_by_patient")
        page.get_by_role("button", name="Clôturer la demande").click()
        expect(page.locator(".status-line")).to_contain_text("Clôturée")
        expect(page.locator("ol.timeline")).to_contain_text("Refusée par le patient")
    screenshot(page, f"request-{ending}")
    log_out(page)


SHOWN = {"orient": "Orientée", "reorient": "Réorientée", "close": "Clôturée"}
API_STATUS = {"orient": "oriented", "reorient": "reoriented", "close": "closed"}
MESSAGE_KIND = {"orient": "request_oriented", "reorient": "request_reoriented", "close": "request_closed"}


@pytest.mark.parametrize("ending", ["orient", "reorient", "close"])
@pytest.mark.parametrize("channel", ["web", "phone", "qr", "api"])
def test_a_request_goes_through_each_channel_to_each_ending(
    live_server: object, page: Page, demo: None, channel: str, ending: str
) -> None:
    base = str(live_server)
    surname = SURNAMES[channel, ending]
    token = api_token() if channel == "api" else ""
    pk = 0
    if channel == "web":
        send_by_web(page, base, surname)
    elif channel == "phone":
        send_by_phone(page, base, surname)
    elif channel == "qr":
        send_by_qr_code(page, base, surname)
    else:
        pk = send_by_api(base, surname, token)
    handle(page, base, surname, ending)
    if channel == "web":  # the requester follows it on their own page
        log_in(page, base, "pharmacie-gace")
        page.get_by_role("link", name="Mes demandes").first.click()
        expect(page.locator("tr", has_text=f"Aurore {surname.upper()}")).to_contain_text(SHOWN[ending])
    if channel == "api":  # the requester's software follows it
        assert status_by_api(base, pk, token) == API_STATUS[ending]
    if channel in ("web", "phone", "api"):  # and the requester was told by e-mail
        from notifications.models import Message

        assert Message.objects.filter(request__patient_last_name=surname, kind=MESSAGE_KIND[ending]).exists()


def test_the_coordinator_chooses_the_requester_with_the_keyboard_and_the_request_names_them(
    live_server: object, page: Page, demo: None
) -> None:
    from referrals.models import Request

    base = str(live_server)
    log_in(page, base, "coordination")
    page.goto(f"{base}/c/orne-est/demandes/telephone/")
    select = page.locator("#id_requester_professional")
    martin = select.locator("option", has_text="Claire MARTIN").get_attribute("value")
    expect(select).to_be_hidden()  # the search field stands for it
    requester = page.get_by_role("combobox", name="Professionnel adresseur")
    expect(requester).to_have_attribute("aria-expanded", "false")
    requester.press_sequentially("martin", delay=30)
    listbox = page.locator("#id_requester_professional_listbox")
    option = listbox.get_by_role("option", name=re.compile("^Dr Claire MARTIN"))
    expect(option).to_be_visible()
    expect(requester).to_have_attribute("aria-expanded", "true")
    requester.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(requester).to_have_attribute("aria-activedescendant", option.get_attribute("id") or "")
    screenshot(page, "phone-intake-requester-suggestions")
    requester.press("Escape")  # closes without choosing
    expect(listbox).to_be_hidden()
    expect(requester).to_have_attribute("aria-expanded", "false")
    expect(requester).not_to_have_attribute("aria-activedescendant", re.compile("."))
    expect(select).to_have_value("")
    requester.press("ArrowDown")  # opens the list again on the first suggestion
    expect(option).to_have_attribute("aria-selected", "true")
    requester.press("Enter")  # chooses; does not send the form
    expect(listbox).to_be_hidden()
    expect(select).to_have_value(martin or "")
    expect(requester).to_have_value(re.compile("^Dr Claire MARTIN"))
    expect(page.locator("#id_requester_professional_status")).to_contain_text("Claire MARTIN")
    assert page.url.endswith("/telephone/")
    fill_patient(page, "Quentin")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Aurore QUENTIN")
    sent = Request.objects.get(patient_last_name="Quentin")
    assert str(sent.requester_professional_id) == martin


def test_a_vital_emergency_is_sent_to_the_15_and_a_draft_survives_a_reload(
    live_server: object, page: Page, demo: None
) -> None:
    base = str(live_server)
    log_in(page, base, "sas61")
    page.goto(f"{base}/c/orne-est/demandes/nouvelle/")
    page.get_by_role("textbox", name="Nom du patient", exact=True).fill("Garnier")
    page.reload()  # as after logging in again: the tab kept what was typed
    expect(page.get_by_role("textbox", name="Nom du patient", exact=True)).to_have_value("Garnier")
    fill_patient(page, "Garnier")
    page.get_by_label("Signes d’urgence vitale").check()
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.locator("#error-summary")).to_contain_text("15")
    expect(page.locator("#error-summary")).to_be_focused()
    page.goto(f"{base}/c/orne-est/demandes/envoyees/")
    expect(page.locator("tbody")).not_to_contain_text("GARNIER")


def test_a_supervisor_round_trip(live_server: object, page: Page, demo: None) -> None:
    base = str(live_server)
    log_in(page, base, "coordination")
    page.get_by_role("link", name="File d’attente", exact=True).click()
    row = page.locator("#queue-rows tr", has_text="Théo MOULIN")
    row.get_by_role("link", name="Théo MOULIN").click()
    page.get_by_role("button", name="Prendre cette demande").click()
    page.locator("summary", has_text="Solliciter le médecin superviseur").click()
    expect(page.get_by_text("D’astreinte en ce moment")).to_be_visible()
    page.get_by_label("Question pour le médecin superviseur").fill("Enfant de 7 ans, otalgie fébrile : présentiel ?")
    page.get_by_role("button", name="Envoyer la question").click()
    expect(page.locator(".status-line")).to_contain_text("En attente du médecin superviseur")
    log_out(page)

    log_in(page, base, "superviseur")
    page.get_by_role("link", name="Questions", exact=True).click()
    card = page.locator("section.card", has_text="Théo MOULIN")
    expect(card).to_contain_text("otalgie fébrile")
    card.get_by_label("Décision").select_option("orient")
    card.get_by_label("Note pour le coordinateur").fill("Consultation en présentiel aujourd’hui.")
    card.get_by_role("button", name="Répondre").click()
    expect(page.get_by_role("status").first).to_contain_text("Réponse transmise")
    expect(page.locator("section.card", has_text="Théo MOULIN")).to_have_count(0)
    log_out(page)

    log_in(page, base, "coordination")
    page.get_by_role("link", name="File d’attente", exact=True).click()
    page.locator("#queue-rows tr", has_text="Théo MOULIN").get_by_role("link", name="Théo MOULIN").click()
    expect(page.locator(".status-line")).to_contain_text("En cours")
    expect(page.locator("p.answer")).to_contain_text("Consultation en présentiel aujourd’hui.")
    screenshot(page, "supervisor-answer")


def test_a_qr_registration_is_validated_then_qualified_with_the_protocols_suggestion(
    live_server: object, page: Page, demo: None
) -> None:
    base = str(live_server)
    send_by_qr_code(page, base, "Colin")

    log_in(page, base, "coordination")
    page.get_by_role("link", name="File d’attente", exact=True).click()
    row = page.locator("#queue-rows tr", has_text="Aurore COLIN")
    expect(row).to_contain_text("À valider")
    row.get_by_role("link", name="Aurore COLIN").click()
    page.get_by_role("button", name="Valider et placer dans la file d’attente").click()
    page.get_by_role("button", name="Prendre cette demande").click()
    page.get_by_role("group", name="Le patient peut-il se déplacer ?").get_by_label("Non").check()
    expect(page.locator("#suggestion")).to_contain_text("Visite à domicile")
    page.get_by_role("group", name=re.compile("examen physique")).get_by_label("Non").check()
    expect(page.locator("#suggestion")).to_contain_text("Visite à domicile")
    page.get_by_role("button", name="Enregistrer la qualification").click()
    expect(page.locator("dl.facts").first).to_contain_text("Visite à domicile")
    screenshot(page, "request-qualified")


def test_the_queue_refreshes_in_place_and_says_how_many_requests_are_open(
    live_server: object, page: Page, demo: None
) -> None:
    base = str(live_server)
    log_in(page, base, "coordination")
    page.get_by_role("link", name="File d’attente", exact=True).click()
    expect(page.locator("#queue-rows tr").first).to_be_visible()  # count() does not wait for the queue page
    rows = page.locator("#queue-rows tr").count()
    page.evaluate("window.__sameDocument = true; document.getElementById('queue-count').textContent = 'périmé'")
    # As if the rows had changed since they were drawn: the refresh sends back a version the server no longer has
    # (an unchanged queue answers 204 and htmx leaves the rows: desk/tests/test_queue_refresh.py).
    page.evaluate(
        "document.getElementById('queue-rows').setAttribute('hx-headers', "
        "JSON.stringify({'X-Aiguillage-Refresh': '1', 'X-Aiguillage-Version': 'drawn-before-a-change'}))"
    )
    with page.expect_response(re.compile(r"/demandes/")):
        page.evaluate(
            "htmx.ajax('GET', window.location.pathname, {source: '#queue-rows', target: '#queue-rows', "
            "swap: 'outerHTML'})"
        )
    expect(page.locator("#queue-count")).to_have_count(1)
    expect(page.locator("#queue-count")).to_contain_text("demandes ouvertes")
    expect(page.locator("#queue-rows tr")).to_have_count(rows)
    assert page.evaluate("window.__sameDocument") is True


def test_an_effector_publishes_an_evening_of_slots(live_server: object, page: Page, demo: None) -> None:
    from datetime import timedelta

    from django.utils import timezone

    base = str(live_server)
    log_in(page, base, "dr-martin")
    page.get_by_role("link", name="Publier des créneaux").first.click()
    day = timezone.localdate() + timedelta(days=20)
    page.locator("#id_day").fill(day.isoformat())
    page.locator("#id_start").fill("19:00")
    page.locator("#id_end").fill("20:00")
    page.get_by_label("Les pharmaciens peuvent les réserver directement").check()
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("3 créneaux publiés")
    expect(page.locator("table.data tbody")).to_contain_text(day.strftime("%d/%m"))
