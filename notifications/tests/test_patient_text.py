"""The patient's SMS keeps what matters whatever the names, addresses, wording and site address: day, time, place and
the whole cancel link, within two SMS, in GSM 03.38, and never the professionals-only number."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import override_settings
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.models import Site
from notifications import templating
from notifications.models import MessageKind
from notifications.patient_sms import cancel_link, compose, place_variants
from notifications.patient_text import fit, to_gsm
from notifications.sms import GSM_BASIC, GSM_EXTENSION, segments
from referrals.models import Modality
from territory.models import Cell, Commune

BOOKED = MessageKind.PATIENT_BOOKED
TOKEN = "Zq3-v_9KpLm2Xw8RtY4bNc"  # 22 characters, as the agenda's
PROFESSIONALS = "+33233000001"
PATIENTS = "+33233000002"
# Thursday 26 November 2026, 13:20 UTC = 14:20 in Paris.
STARTS_AT = datetime(2026, 11, 26, 13, 20, tzinfo=UTC)

words = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "Zs"), exclude_characters="[]{}\\"), min_size=1, max_size=40
)


def long_text(max_size: int) -> st.SearchStrategy[str]:
    return st.lists(words, min_size=1, max_size=8).map(" ".join).map(lambda text: text[:max_size].strip() or "x")


hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?){1,3}", fullmatch=True)
templates = st.sampled_from(
    [
        str(templating.DEFAULTS[BOOKED]),
        "{cellule} : RDV le {jour} à {heure}, {lieu}.",
        "RDV {jour} {heure} {lieu} [Venez à jeun, apportez vos radios, votre carte Vitale, vos ordonnances.] "
        "[Pour toute question : {telephone_cellule}.] [Merci de prévenir en cas d’empêchement…]",
        "« {cellule} » vous confirme votre rendez-vous du {jour} à {heure} — {lieu}. " + "[Texte facultatif.] " * 6,
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    site_name=long_text(150),
    sms_name=st.one_of(st.just(""), long_text(40)),
    address=st.one_of(st.just(""), long_text(200)),
    commune_name=long_text(45),
    cell_name=long_text(150),
    template=templates,
    host=hosts,
    medicobus=st.booleans(),
)
def test_every_booking_sms_keeps_day_time_place_and_the_cancel_link_within_two_sms(
    site_name: str,
    sms_name: str,
    address: str,
    commune_name: str,
    cell_name: str,
    template: str,
    host: str,
    medicobus: bool,
) -> None:
    base = f"https://{host}"[:100]
    cell = Cell(name=cell_name, slug="orne-est", phone=PROFESSIONALS, patient_phone=PATIENTS)
    commune = Commune(pk=61001, name=commune_name)
    site = Site(name=site_name, sms_name=sms_name, address=address, commune=commune)
    slot = _slot(site, commune, medicobus, place=address)
    with override_settings(AIGUILLAGE_BASE_URL=base):
        fitted = compose(
            cell, BOOKED, starts_at=STARTS_AT, places=place_variants(slot), cancel_token=TOKEN, text=template
        )
        link = cancel_link(TOKEN)
    text = fitted.text
    assert segments(text) <= 2, text
    assert all(char in GSM_BASIC or char in GSM_EXTENSION for char in text), text
    assert "26/11" in text and "14:20" in text
    assert " ".join(to_gsm(commune_name).split()) in text  # spaces run together, as everywhere in the text
    assert link in text and link.endswith(f"/a/{TOKEN}/")
    assert "02 33 00 00 01" not in text and PROFESSIONALS not in text


def _slot(site: Site, commune: Commune, medicobus: bool, place: str) -> object:
    from agenda.models import Slot

    if medicobus:
        return Slot(commune=commune, place=place[:100])
    return Slot(site=site)


def test_what_gives_way_comes_in_the_documented_order() -> None:
    """The cell's name grows, nothing else changes: each step of patient_text's order is reached in turn, never
    going back, and each leaves out what it says."""
    template = "{cellule}: RDV {jour} {heure}, {lieu}. [Venez à jeun.] [Apportez vos radios.]"
    places = [
        "Maison de santé pluriprofessionnelle du Val d'Orne, 3 rue des Lilas, Argentan",
        "MSP du Val, 3 rue des Lilas, Argentan",
        "MSP du Val, Argentan",
        "Argentan",
    ]
    cancel = "Annuler : https://aiguillage.example.fr/a/" + TOKEN + "/"
    privacy = "Vos données : https://aiguillage.example.fr/donnees/orne-est/"
    seen = []
    for length in range(1, 320):
        values = {"cellule": "C" * length, "jour": "27/11", "heure": "14:20"}
        fitted = fit(template, values, places, required_links=[cancel], optional_links=[privacy])
        text, step = fitted.text, fitted.step
        assert segments(text) <= 2 and "27/11 14:20" in text and cancel in text and "Argentan" in text
        assert (places[0] in text) == (step == 1)
        assert ("donnees" in text) == (step <= 2)
        assert ("Apportez vos radios." in text) == (step <= 3)  # the last optional part gives way first
        assert "Venez à jeun." not in text or step <= 4
        assert ("rue des Lilas" in text) == (step <= 4)
        assert ("MSP du Val" in text) == (2 <= step <= 5)
        if step == 7:
            assert text == "27/11 14:20, Argentan. " + cancel
        seen.append(step)
    assert seen == sorted(seen) and set(seen) == {1, 2, 3, 4, 5, 6, 7}


def test_characters_outside_gsm_are_transliterated_not_sent_as_ucs2() -> None:
    assert to_gsm("Prévenez… l’équipe « Château-Gontier » – forêt, Œuvre, ça") == (
        'Prévenez... l\'équipe "Chateau-Gontier" - foret, OEuvre, ca'
    )
    text = fit("{jour} {heure}, {lieu}. Fête…", {"jour": "27/11", "heure": "14:20"}, ["Saint-Rémy-sur-Orne"]).text
    assert segments(text) == 1 and "Fete..." in text


def test_an_optional_part_whose_blank_is_empty_is_left_out() -> None:
    template = "RDV {jour} {heure}, {lieu}. [Questions : {telephone_cellule}.]"
    without = fit(template, {"jour": "27/11", "heure": "14:20", "telephone_cellule": ""}, ["Argentan"])
    assert without.text == "RDV 27/11 14:20, Argentan."
    given_number = fit(
        template, {"jour": "27/11", "heure": "14:20", "telephone_cellule": "02 33 00 00 02"}, ["Argentan"]
    )
    assert given_number.text == "RDV 27/11 14:20, Argentan. Questions : 02 33 00 00 02."


@settings(max_examples=120, deadline=None)
@given(
    kind=st.sampled_from(
        [MessageKind.PATIENT_REMINDER, MessageKind.PATIENT_CANCELLED, MessageKind.PATIENT_REORIENTED, BOOKED]
    ),
    site_name=long_text(150),
    address=st.one_of(st.just(""), long_text(200)),
    commune_name=long_text(45),
    cell_name=long_text(150),
    host=hosts,
    modality=st.sampled_from(["in_person", "home_visit", "assisted_teleconsultation"]),
    resource_phone=st.sampled_from(["", "02 33 44 55 66"]),
)
@translation.override("fr")
def test_every_kind_of_patient_sms_keeps_its_essentials_within_two_sms(
    kind: str,
    site_name: str,
    address: str,
    commune_name: str,
    cell_name: str,
    host: str,
    modality: str,
    resource_phone: str,
) -> None:
    """The reminder, the cancellation and the reorientation too, with Aiguillage's wording, for any names and any
    base address; a home visit never gives an office's address."""
    from agenda.models import Slot
    from directory.models import ReorientationResource
    from notifications.patient_sms import resource_variants

    base = f"https://{host}"[:100]
    cell = Cell(name=cell_name, slug="orne-est", phone=PROFESSIONALS, patient_phone=PATIENTS)
    commune = Commune(pk=61001, name=commune_name)
    site = Site(name=site_name, address=address, commune=commune)
    slot = Slot(site=site, modality=modality)
    if kind == MessageKind.PATIENT_REORIENTED:
        places = resource_variants(ReorientationResource(name=site_name, address=address, commune=commune))
    else:
        places = place_variants(slot)
    token = TOKEN if kind in (BOOKED, MessageKind.PATIENT_REMINDER) else None
    starts_at = None if kind == MessageKind.PATIENT_REORIENTED else STARTS_AT
    with override_settings(AIGUILLAGE_BASE_URL=base):
        fitted = compose(
            cell,
            kind,
            starts_at=starts_at,
            places=places,
            cancel_token=token,
            text=str(templating.DEFAULTS[kind]),  # Aiguillage's wording, in French
            more={"telephone_lieu": resource_phone},
        )
        link = cancel_link(TOKEN)
    text = fitted.text
    assert segments(text) <= 2, text
    assert all(char in GSM_BASIC or char in GSM_EXTENSION for char in text), text
    if starts_at is not None:
        assert "26/11" in text and "14:20" in text
    if kind != MessageKind.PATIENT_CANCELLED:
        if modality == "home_visit" and kind != MessageKind.PATIENT_REORIENTED:
            assert places == [str(Modality.HOME_VISIT.label)] and "domicile" in text.lower()  # never the office
        else:
            # Whole, but for punctuation at its end, which the text's own punctuation takes over ("1," then ". ").
            assert " ".join(to_gsm(commune_name).split()).rstrip(",;:. ") in text
    assert (link in text) == (token is not None)
    assert "02 33 00 00 01" not in text and PROFESSIONALS not in text
