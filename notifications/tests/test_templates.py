"""A cell administrator rewords the patients' SMS: only the message's blanks, a live preview with its length, and the
next messages use the new text."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from agenda import services as agenda
from agenda.tests.factories import make_slot
from conftest import World
from notifications import templating
from notifications.models import Message, MessageKind, MessageTemplate
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db

BOOKED = MessageKind.PATIENT_BOOKED


@pytest.mark.parametrize(
    "text",
    ["{lieu.__class__}", "{lieu[0]}", "{inconnu}", "{jour!r}", "{heure:>20}", "RDV {jour", "   "],
)
def test_a_text_may_hold_only_its_blanks(text: str) -> None:
    with pytest.raises(templating.TemplateError):
        templating.check(BOOKED, text)


def test_the_default_texts_check_and_fill() -> None:
    for kind, example in templating.BLANKS.items():
        filled = templating.fill(kind, str(templating.DEFAULTS[kind]), example)
        assert "{" not in filled and "[" not in filled
        assert all(example[name] in filled for name in templating.ESSENTIAL[kind])


def url(world: World) -> str:
    return reverse("notifications:template_edit", kwargs={"cell": world.cell.slug, "kind": BOOKED})


LONG_BASE = "https://coordination-soins-non-programmes.cpts-orne-est.example.fr"


def test_the_administrator_previews_saves_and_the_next_sms_uses_it(world: World, settings: Any) -> None:
    settings.AIGUILLAGE_BASE_URL = LONG_BASE
    client = world.client_for(world.owner)
    page = client.get(url(world))
    assert page.status_code == 200 and "{telephone_cellule}" in page.content.decode()
    preview = client.post(url(world), {"action": "preview", "text": "{cellule} : RDV le {jour} à {heure}, {lieu}."})
    shown = preview.content.decode()
    assert f"{world.cell.name} : RDV le " in shown and " à 23:59, " in shown  # the worst case: a late time
    assert f"{LONG_BASE}/a/" in shown and "SMS" in shown  # with a cancel link of its real length
    no_place = client.post(url(world), {"action": "preview", "text": "{cellule} : RDV le {jour} à {heure}."})
    assert "{lieu}" in no_place.content.decode()
    wrong = client.post(url(world), {"text": "RDV le {date}"})
    assert wrong.status_code == 200 and "RDV le {date}" in wrong.content.decode()  # kept as typed
    assert "{date}" in wrong.context["form"].errors["text"][0] and not MessageTemplate.objects.exists()
    saved = client.post(url(world), {"text": "{cellule} : RDV le {jour} à {heure}, {lieu}. Venez à jeun."})
    assert saved.status_code == 302
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell)
    agenda.slot_book(slot=make_slot(world.cell), request=request, user=world.colleague)
    sms = Message.objects.get(kind=BOOKED)
    assert "Venez à jeun." in sms.body and "/a/" in sms.body  # the cancel link is still added
    client.post(url(world), {"action": "reset"})
    assert not MessageTemplate.objects.exists()


def test_a_coordinator_cannot_reword_messages(world: World) -> None:
    assert world.client_for(world.colleague).get(url(world)).status_code == 403


def test_a_text_that_cannot_keep_the_essentials_within_two_sms_is_refused_showing_the_worst_case(
    world: World, settings: Any
) -> None:
    settings.AIGUILLAGE_BASE_URL = LONG_BASE
    client = world.client_for(world.owner)
    essay = "{cellule} : RDV le {jour} à {heure}, {lieu}. " + "Merci de venir un peu en avance. " * 8
    refused = client.post(url(world), {"text": essay})
    assert refused.status_code == 200 and not MessageTemplate.objects.exists()
    error = refused.context["form"].errors["text"][0]
    assert "dépasse 2 SMS" in error and "Le pire cas" in error and f"{LONG_BASE}/a/" in error
    optional = "{cellule} : RDV le {jour} à {heure}, {lieu}. [" + "Merci de venir un peu en avance. " * 8 + "]"
    assert client.post(url(world), {"text": optional}).status_code == 302  # the same words, allowed to give way


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("RDV le {jour} à {heure}. [{lieu}]", "{lieu} hors des crochets"),
        ("RDV le {jour} à {heure}, {lieu}. [Venez [à jeun]]", "ni imbriqués"),
        ("RDV le {jour} à {heure}, {lieu}. [Venez à jeun.", "ni laissés ouverts"),
    ],
)
def test_the_essentials_stand_outside_brackets_and_brackets_close(world: World, text: str, message: str) -> None:
    refused = world.client_for(world.owner).post(url(world), {"text": text})
    assert message in refused.context["form"].errors["text"][0]
