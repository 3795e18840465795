"""The demo cell's tags (seed 002's words): created once, whatever their case, loading again changes nothing."""

from __future__ import annotations

import pytest

from conftest import World
from demo.tags import TAGS, load_demo_tags
from referrals import services
from referrals.models import Tag

pytestmark = pytest.mark.django_db


def test_the_demo_tags_are_created_once(world: World) -> None:
    services.tag_create(cell=world.cell, name="FAIBLE URGENCE")  # already there, in another case
    assert load_demo_tags(world.cell, world.colleague) == len(TAGS) - 1
    assert load_demo_tags(world.cell, world.colleague) == 0
    assert sorted(Tag.objects.filter(cell=world.cell).values_list("key", flat=True)) == [
        "consultation médicale",
        "faible urgence",
        "soins paramédicaux",
    ]
