"""The placement assistant narrowed to one of the cell's tags (issue 21.5), as the queue is."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import World
from placement import proposal as placement
from referrals import services
from referrals.selectors import QueueFilters

from .test_proposal import membership, waiting

pytestmark = pytest.mark.django_db


def test_a_tag_narrows_the_waiting_list_of_the_proposal(world: World) -> None:
    now = timezone.now()
    para = services.tag_create(cell=world.cell, name="Paramédical")
    low = services.tag_create(cell=world.cell, name="Faible urgence")
    theirs = services.tag_create(cell=world.other_cell, name="Paramédical")
    kine = waiting(world, care_channel="physiotherapy", last_name="Kine")
    nurse = waiting(world, care_channel="nursing", last_name="Infirmier")
    waiting(world, last_name="Sans-etiquette")
    services.request_tags_set(request=kine, user=world.colleague, tags=[para, low])
    services.request_tags_set(request=nurse, user=world.colleague, tags=[para])
    member = membership(world)
    both = placement.waiting_requests(member, QueueFilters(tag=para.pk))
    assert {r.pk for r in both} == {kine.pk, nurse.pk}
    assert [r.pk for r in placement.waiting_requests(member, QueueFilters(tag=low.pk))] == [kine.pk]
    assert placement.waiting_requests(member, QueueFilters(tag=theirs.pk)) == []
    proposal = placement.proposal_build(membership=member, filters=QueueFilters(tag=low.pk), now=now)
    assert {item.request.pk for item in [*proposal.rows, *proposal.apart]} == {kine.pk}


def test_the_assistant_offers_the_cells_tags_and_reads_the_filter_from_its_address(world: World) -> None:
    para = services.tag_create(cell=world.cell, name="Paramédical")
    services.tag_create(cell=world.other_cell, name="Autre cellule")
    kine = waiting(world, care_channel="physiotherapy", last_name="Kine")
    waiting(world, last_name="Sans-etiquette")
    services.request_tags_set(request=kine, user=world.colleague, tags=[para])
    client = world.client_for(world.colleague)
    url = reverse("placement:assistant", kwargs={"cell": world.cell.slug})
    page = client.get(url).content.decode()
    assert f'<option value="{para.pk}">Paramédical</option>' in page and "Autre cellule" not in page
    response = client.get(url, {"proposer": "1", "tag": str(para.pk)})
    assert response.context["filters"].tag == para.pk
    proposal = response.context["proposal"]
    assert {item.request.pk for item in [*proposal.rows, *proposal.apart]} == {kine.pk}
