"""The cell administrator's page of the cell's tags: list, create, rename, archive; others get 403 or 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import World
from referrals import services
from referrals.models import Tag, TagColour

pytestmark = pytest.mark.django_db


def _url(world: World, name: str, **kwargs: object) -> str:
    return reverse(f"referrals:{name}", kwargs={"cell": world.cell.slug, **kwargs})


def test_the_administrator_sees_the_tags_with_their_chip_and_count(world: World) -> None:
    services.tag_create(cell=world.cell, name="Faible urgence", colour=TagColour.GREEN)
    archived = services.tag_create(cell=world.cell, name="Ancien", colour=TagColour.GREY)
    services.tag_archive(tag=archived)
    services.tag_create(cell=world.other_cell, name="Autre cellule")
    response = world.client_for(world.owner).get(_url(world, "tags"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<span class="tag-chip tag-green">Faible urgence</span>' in page
    assert "Autre cellule" not in page
    assert [tag.name for tag in response.context["tags"]] == ["Faible urgence", "Ancien"]  # active first
    assert _url(world, "tag_restore", pk=archived.pk) in page


def test_the_protocol_page_and_the_cell_administration_link_to_the_tags(world: World) -> None:
    client = world.client_for(world.owner)
    assert _url(world, "tags") in client.get(_url(world, "protocol")).content.decode()
    home = reverse("accounts:cell_home", kwargs={"cell": world.cell.slug})
    assert _url(world, "tags") in client.get(home).content.decode()


def test_the_administrator_creates_a_tag(world: World) -> None:
    client = world.client_for(world.owner)
    response = client.post(_url(world, "tag_create"), {"name": "Paramédical", "colour": "teal"})
    assert response.status_code == 302 and response["Location"] == _url(world, "tags")
    tag = Tag.objects.get(cell=world.cell)
    assert (tag.name, tag.colour, tag.is_active) == ("Paramédical", "teal", True)


def test_a_duplicate_name_is_refused_on_its_field_and_nothing_saved(world: World) -> None:
    services.tag_create(cell=world.cell, name="Paramédical")
    client = world.client_for(world.owner)
    response = client.post(_url(world, "tag_create"), {"name": "PARAMÉDICAL", "colour": "red"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [str(services.TAG_NAME_TAKEN % {"name": "Paramédical"})]
    assert Tag.objects.filter(cell=world.cell).count() == 1


def test_an_empty_name_or_a_free_colour_is_refused(world: World) -> None:
    client = world.client_for(world.owner)
    response = client.post(_url(world, "tag_create"), {"name": "  ", "colour": "#123456"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "colour"}
    assert not Tag.objects.exists()


def test_the_administrator_renames_and_recolours_a_tag(world: World) -> None:
    tag = services.tag_create(cell=world.cell, name="Medical")
    client = world.client_for(world.owner)
    assert client.get(_url(world, "tag_update", pk=tag.pk)).status_code == 200
    response = client.post(_url(world, "tag_update", pk=tag.pk), {"name": "Médical", "colour": "purple"})
    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.name, tag.colour) == ("Médical", "purple")


def test_archiving_and_restoring_are_posts(world: World) -> None:
    tag = services.tag_create(cell=world.cell, name="Médical")
    client = world.client_for(world.owner)
    assert client.get(_url(world, "tag_archive", pk=tag.pk)).status_code == 405
    assert client.post(_url(world, "tag_archive", pk=tag.pk)).status_code == 302
    assert Tag.objects.get(pk=tag.pk).is_active is False
    assert client.post(_url(world, "tag_restore", pk=tag.pk)).status_code == 302
    assert Tag.objects.get(pk=tag.pk).is_active is True


def test_another_cells_tag_is_not_found(world: World) -> None:
    theirs = services.tag_create(cell=world.other_cell, name="Autre")
    client = world.client_for(world.owner)
    assert client.get(_url(world, "tag_update", pk=theirs.pk)).status_code == 404
    assert client.post(_url(world, "tag_update", pk=theirs.pk), {"name": "Pris", "colour": "red"}).status_code == 404
    assert client.post(_url(world, "tag_archive", pk=theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.name, theirs.is_active) == ("Autre", True)


def test_a_coordinator_may_not_manage_tags_and_an_outsider_does_not_see_the_cell(world: World) -> None:
    tag = services.tag_create(cell=world.cell, name="Médical")
    coordinator = world.client_for(world.colleague)
    assert coordinator.get(_url(world, "tags")).status_code == 403
    assert coordinator.post(_url(world, "tag_archive", pk=tag.pk)).status_code == 403
    assert world.client_for(world.outsider).get(_url(world, "tags")).status_code == 404
    assert Tag.objects.get(pk=tag.pk).is_active is True
