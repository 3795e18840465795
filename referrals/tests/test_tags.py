"""The cell's own tags (issue 21.5): the services that name them and put them on requests, and the palette."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from audit.models import AccessEvent
from common.errors import DomainError
from conftest import World
from referrals import services
from referrals.models import TAG_COLOURS, EventKind, Request, Tag, TagColour
from referrals.tests.factories import make_request
from tests.factories import MembershipFactory, ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _requester(db: None, request: pytest.FixtureRequest) -> None:
    """The requests' sender (make_request takes the cell's first professional)."""
    if "world" in request.fixturenames:
        ProfessionalFactory(cell=request.getfixturevalue("world").cell)


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_colour_of_the_palette_reads_its_text_at_wcag_aa_contrast() -> None:
    assert set(TAG_COLOURS) == set(TagColour.values)
    for colour, (background, text) in TAG_COLOURS.items():
        assert text in ("#000000", "#ffffff"), colour
        assert _contrast(background, text) >= 4.5, f"{colour}: {_contrast(background, text):.2f}"


def test_the_stylesheet_draws_the_palette_of_the_model() -> None:
    css = (Path(settings.BASE_DIR) / "static" / "css" / "aiguillage.css").read_text()
    for colour, (background, text) in TAG_COLOURS.items():
        rule = re.search(rf"\.tag-{colour} \{{ background: (#[0-9a-f]{{6}}); color: (#[0-9a-f]{{6}}); \}}", css)
        assert rule is not None, colour
        assert rule.groups() == (background, text)


# --- naming tags ---


def test_a_new_tag_is_active_with_its_name_tidied(world: World) -> None:
    tag = services.tag_create(cell=world.cell, name="  Faible   urgence ", colour=TagColour.GREEN)
    tag.refresh_from_db()
    assert (tag.name, tag.key, tag.colour, tag.is_active) == ("Faible urgence", "faible urgence", "green", True)


@pytest.mark.parametrize("other", ["faible urgence", "FAIBLE URGENCE", " Faible  Urgence"])
def test_a_second_tag_of_the_same_name_whatever_its_case_is_refused(world: World, other: str) -> None:
    services.tag_create(cell=world.cell, name="Faible urgence")
    with pytest.raises(DomainError) as refused:
        services.tag_create(cell=world.cell, name=other)
    assert (refused.value.field, refused.value.code) == ("name", "taken")
    assert Tag.objects.filter(cell=world.cell).count() == 1


def test_an_accented_name_in_capitals_is_the_same_tag(world: World) -> None:
    """Case-insensitive beyond ASCII, on SQLite too (the key is casefolded in Python, not by the database)."""
    services.tag_create(cell=world.cell, name="Paramédical")
    with pytest.raises(DomainError, match="Paramédical"):
        services.tag_create(cell=world.cell, name="PARAMÉDICAL")


def test_another_cell_may_use_the_same_name(world: World) -> None:
    services.tag_create(cell=world.cell, name="Médical")
    services.tag_create(cell=world.other_cell, name="médical")
    assert Tag.objects.filter(key="médical").count() == 2


def test_the_database_refuses_a_duplicate_the_service_did_not_see(world: World) -> None:
    Tag.objects.create(cell=world.cell, name="Médical", key="médical")
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(cell=world.cell, name="MÉDICAL", key="médical")


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_name_is_refused(world: World, name: str) -> None:
    with pytest.raises(DomainError) as refused:
        services.tag_create(cell=world.cell, name=name)
    assert str(refused.value) == str(services.TAG_NAME_REQUIRED)
    assert not Tag.objects.exists()


def test_a_colour_outside_the_palette_is_refused(world: World) -> None:
    with pytest.raises(DomainError) as refused:
        services.tag_create(cell=world.cell, name="Médical", colour="#ff00ff")
    assert str(refused.value) == str(services.TAG_COLOUR_UNKNOWN)
    assert not Tag.objects.exists()


def test_renaming_keeps_the_tag_on_its_requests(world: World) -> None:
    tag = services.tag_create(cell=world.cell, name="Medical")
    request = make_request(world.cell)
    services.request_tags_set(request=request, user=world.colleague, tags=[tag])
    services.tag_update(tag=tag, name="Consultation médicale", colour=TagColour.PURPLE)
    assert [t.name for t in request.tags.all()] == ["Consultation médicale"]


def test_renaming_to_another_tags_name_is_refused_and_changes_nothing(world: World) -> None:
    services.tag_create(cell=world.cell, name="Médical")
    tag = services.tag_create(cell=world.cell, name="Paramédical", colour=TagColour.TEAL)
    with pytest.raises(DomainError, match="Médical"):
        services.tag_update(tag=tag, name="médical", colour=TagColour.RED)
    tag.refresh_from_db()
    assert (tag.name, tag.colour) == ("Paramédical", "teal")


def test_renaming_a_tag_to_its_own_name_in_other_case_is_allowed(world: World) -> None:
    tag = services.tag_create(cell=world.cell, name="medical")
    services.tag_update(tag=tag, name="Medical", colour=TagColour.BLUE)
    tag.refresh_from_db()
    assert tag.name == "Medical"


def test_an_archived_tag_keeps_its_requests_and_may_be_restored(world: World) -> None:
    tag = services.tag_create(cell=world.cell, name="Médical")
    request = make_request(world.cell)
    services.request_tags_set(request=request, user=world.colleague, tags=[tag])
    services.tag_archive(tag=tag)
    assert Tag.objects.get(pk=tag.pk).is_active is False
    assert list(request.tags.all()) == [tag]
    services.tag_archive(tag=tag, archived=False)
    assert Tag.objects.get(pk=tag.pk).is_active is True


# --- tags on a request ---


def test_setting_tags_writes_a_timeline_line_and_an_access_log_change(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    low = services.tag_create(cell=world.cell, name="Faible urgence")
    para = services.tag_create(cell=world.cell, name="Paramédical")
    request = make_request(world.cell)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_tags_set(request=request, user=world.colleague, tags=[para, low])
    assert set(request.tags.all()) == {low, para}
    event = request.events.get(kind=EventKind.TAGS)
    assert event.text == str(services.TAGS_CHANGED % {"tags": "Faible urgence, Paramédical"})
    assert event.actor == world.colleague and event.visible_to_requester is False
    logged = AccessEvent.objects.filter(object_type="request", object_id=request.reference, detail="tags")
    assert logged.get().action == "change"


def test_the_same_tags_again_change_nothing(world: World) -> None:
    tag = services.tag_create(cell=world.cell, name="Médical")
    request = make_request(world.cell)
    services.request_tags_set(request=request, user=world.colleague, tags=[tag])
    services.request_tags_set(request=request, user=world.colleague, tags=[tag])
    assert request.events.filter(kind=EventKind.TAGS).count() == 1


def test_removing_every_tag_says_so_on_the_timeline(world: World) -> None:
    tag = services.tag_create(cell=world.cell, name="Médical")
    request = make_request(world.cell)
    services.request_tags_set(request=request, user=world.colleague, tags=[tag])
    services.request_tags_set(request=request, user=world.colleague, tags=[])
    assert not request.tags.exists()
    last = request.events.filter(kind=EventKind.TAGS).last()
    assert last is not None and last.text == str(services.TAGS_CHANGED % {"tags": services.NO_TAG})


def test_another_cells_tag_is_refused_and_nothing_is_saved(world: World) -> None:
    mine = services.tag_create(cell=world.cell, name="Médical")
    theirs = services.tag_create(cell=world.other_cell, name="Paramédical")
    request = make_request(world.cell)
    with pytest.raises(DomainError) as refused:
        services.request_tags_set(request=request, user=world.colleague, tags=[mine, theirs])
    assert str(refused.value) == str(services.TAG_OF_OTHER_CELL)
    assert not request.tags.exists()
    assert not request.events.filter(kind=EventKind.TAGS).exists()


def test_an_archived_tag_is_not_put_on_a_request_but_stays_where_it_is(world: World) -> None:
    kept = services.tag_create(cell=world.cell, name="Ancien")
    other = services.tag_create(cell=world.cell, name="Médical")
    tagged, untagged = make_request(world.cell), make_request(world.cell, last_name="Autre")
    services.request_tags_set(request=tagged, user=world.colleague, tags=[kept])
    services.tag_archive(tag=kept)
    kept.refresh_from_db()
    with pytest.raises(DomainError, match="Ancien"):
        services.request_tags_set(request=untagged, user=world.colleague, tags=[kept])
    services.request_tags_set(request=tagged, user=world.colleague, tags=[kept, other])
    assert set(tagged.tags.all()) == {kept, other}


def test_a_request_held_by_another_coordinator_is_not_retagged(world: World) -> None:
    tag = services.tag_create(cell=world.cell, name="Médical")
    request = make_request(world.cell)
    services.request_take(request=request, user=world.colleague)
    other = MembershipFactory(user=UserFactory(username="eve"), cell=world.cell, role="coordinator").user
    with pytest.raises(DomainError) as refused:
        services.request_tags_set(request=request, user=other, tags=[tag])
    assert refused.value.code == "held"
    assert not request.tags.exists()


def test_a_closed_request_is_not_retagged(world: World) -> None:
    tag = services.tag_create(cell=world.cell, name="Médical")
    request = make_request(world.cell)
    services.request_close(request=request, user=world.colleague, reason="resolved_otherwise")
    with pytest.raises(DomainError) as refused:
        services.request_tags_set(request=request, user=world.colleague, tags=[tag])
    assert refused.value.code == "not_open"
    assert not Request.objects.get(pk=request.pk).tags.exists()
