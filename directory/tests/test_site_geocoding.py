"""A site's address geocoded in the background when BAN is on: saved without a point, it gets BAN's; a point given by
hand is kept; a new address drops the old point."""

from __future__ import annotations

from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from conftest import ARGENTAN, GACE, World
from directory.models import Site
from directory.services import site_save
from tests.factories import commune
from tests.fake_ban import FakeBan
from tests.worker import work

pytestmark = pytest.mark.django_db


def save(world: World, site: Site | None = None, **fields: Any) -> Site:
    values = {
        "kind": "practice",
        "name": "Cabinet des Essais",
        "address": "12 rue de la Gare",
        "commune": commune(GACE),
    }
    values.update(fields)
    return site_save(cell=world.cell, site=site, **values)


def test_a_site_saved_without_a_point_gets_bans_point_from_the_worker(world: World, ban_on: FakeBan) -> None:
    site = save(world, latitude=None, longitude=None)
    assert ban_on.calls == []  # not while saving
    assert site.point == (commune(GACE).latitude, commune(GACE).longitude)
    work()
    site.refresh_from_db()
    assert site.point == (48.7931, 0.2988)


def test_a_point_given_by_hand_is_kept_and_ban_not_asked(world: World, ban_on: FakeBan) -> None:
    site = save(world, latitude=48.8, longitude=0.3)
    work()
    site.refresh_from_db()
    assert (site.latitude, site.longitude) == (48.8, 0.3)
    assert ban_on.calls == []


def test_a_new_address_with_the_old_point_is_placed_again(world: World, ban_on: FakeBan) -> None:
    site = save(world, latitude=None, longitude=None)
    work()
    site.refresh_from_db()
    moved = save(
        world, site=site, address="7 rue de la Gare", commune=commune(ARGENTAN), latitude=48.7931, longitude=0.2988
    )
    assert (moved.latitude, moved.longitude) == (None, None)
    work()
    moved.refresh_from_db()
    assert moved.point == (48.7405, -0.0102)


def test_a_new_address_with_a_new_point_keeps_that_point(world: World, ban_on: FakeBan) -> None:
    site = save(world, latitude=48.8, longitude=0.3)
    moved = save(world, site=site, address="3 place du Château", latitude=48.7962, longitude=0.2961)
    assert moved.point == (48.7962, 0.2961)
    assert not DBTaskResult.objects.exists()


def test_when_ban_cannot_place_it_the_site_keeps_the_communes_point(world: World, ban_on: FakeBan) -> None:
    ban_on.mode = "empty"
    site = save(world, latitude=None, longitude=None)
    work()
    site.refresh_from_db()
    assert (site.latitude, site.longitude) == (None, None)
    assert len(ban_on.calls) == 1


def test_with_geocoding_off_a_site_is_saved_as_before(world: World, fake_ban: FakeBan) -> None:
    site = save(world, latitude=None, longitude=None)
    moved = save(world, site=site, address="7 rue de la Gare", commune=commune(ARGENTAN))
    assert not DBTaskResult.objects.exists()
    assert fake_ban.calls == []
    assert moved.point == (commune(ARGENTAN).latitude, commune(ARGENTAN).longitude)
