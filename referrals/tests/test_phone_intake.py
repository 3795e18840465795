"""The phone intake: the requester is found by name, profession or commune, only among the cell's professionals, and
the coordinator who took the call holds the new request."""

from __future__ import annotations

from typing import cast

import pytest
from django.urls import reverse

from accounts.models import Role
from conftest import GACE, L_AIGLE, World
from directory.models import Professional
from referrals.models import EventKind, Request
from referrals.states import Status
from tests.factories import MembershipFactory, ProfessionalFactory, SiteFactory, UserFactory, commune

from .test_views import intake_body

pytestmark = pytest.mark.django_db


def _pro(
    world: World, last: str, first: str, profession: str, insee: str | None = None, **more: object
) -> Professional:
    pro = cast(
        Professional,
        ProfessionalFactory(cell=world.cell, last_name=last, first_name=first, profession=profession, **more),
    )
    if insee:
        pro.sites.add(SiteFactory(cell=world.cell, commune=commune(insee)))
    return pro


@pytest.fixture
def directory(world: World) -> dict[str, Professional]:
    return {
        "martin": _pro(world, "Martin", "Claire", "gp", GACE),
        "martinet": _pro(world, "Martinet", "Paul", "physiotherapist", L_AIGLE),
        "fabre": _pro(world, "Fabre", "Yann", "nurse", GACE),
        "gone": _pro(world, "Martinez", "Léa", "gp", GACE, is_active=False),
        "elsewhere": cast(
            Professional,
            ProfessionalFactory(cell=world.other_cell, last_name="Martin", first_name="Hugo", profession="gp"),
        ),
    }


def _search(world: World, query: str, user=None) -> list[dict[str, object]]:
    client = world.client_for(user or world.colleague)
    url = reverse("referrals:requester_search", kwargs={"cell": world.cell.slug})
    response = client.get(url, {"q": query}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.json()["suggestions"]


def test_the_label_names_the_doctor_the_profession_and_the_commune(directory: dict[str, Professional]) -> None:
    from django.utils import translation

    with translation.override("en"):
        assert directory["martin"].long_label() == "Dr Claire MARTIN — General practitioner — Gacé"
        assert directory["fabre"].long_label() == "Yann FABRE — Nurse (IDEL) — Gacé"


def test_the_search_finds_the_cells_active_professionals_by_name(
    world: World, directory: dict[str, Professional]
) -> None:
    found = _search(world, "marti")
    assert [s["id"] for s in found] == [directory["martin"].pk, directory["martinet"].pk]
    assert found[0]["label"] == "Dr Claire MARTIN — General practitioner — Gacé"


def test_the_search_finds_by_profession_commune_and_doctor_title(
    world: World, directory: dict[str, Professional]
) -> None:
    assert [s["id"] for s in _search(world, "physio")] == [directory["martinet"].pk]
    assert [s["id"] for s in _search(world, "gacé")] == [directory["fabre"].pk, directory["martin"].pk]
    assert [s["id"] for s in _search(world, "nurse gace")] == [directory["fabre"].pk]
    assert [s["id"] for s in _search(world, "Dr Martin")] == [directory["martin"].pk]
    assert _search(world, "") == []
    assert _search(world, "nobody") == []


def test_the_search_is_for_those_who_take_phone_requests(world: World) -> None:
    pro = ProfessionalFactory(cell=world.cell, profession="pharmacist")
    requester = MembershipFactory(
        cell=world.cell, role=Role.REQUESTER, requester_type="pharmacist", professional=pro
    ).user
    url = reverse("referrals:requester_search", kwargs={"cell": world.cell.slug})
    assert world.client_for(requester).get(url, {"q": "mar"}).status_code == 403
    assert world.client_for(world.outsider).get(url, {"q": "mar"}).status_code == 404


def test_the_phone_form_lists_each_professional_with_profession_and_commune_in_few_queries(
    world: World, directory: dict[str, Professional], django_assert_max_num_queries
) -> None:
    for i in range(30):
        _pro(world, f"Confrere{i:02d}", "Jean", "gp", L_AIGLE)
    client = world.client_for(world.colleague)
    url = reverse("referrals:request_phone", kwargs={"cell": world.cell.slug})
    with django_assert_max_num_queries(12):  # 10 today, whatever the number of professionals
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Without the script, the select stays usable: its options say who is who.
    assert f'<option value="{directory["martinet"].pk}">Paul MARTINET — Physiotherapist — L&#x27;Aigle</option>' in page
    assert "Léa" not in page and "Hugo" not in page
    assert 'data-professional-search="/' in page and 'role="combobox"' in page
    assert "js/professional.js" in page


def test_a_professional_of_another_cell_is_refused_as_requester(
    world: World, directory: dict[str, Professional]
) -> None:
    client = world.client_for(world.colleague)
    url = reverse("referrals:request_phone", kwargs={"cell": world.cell.slug})
    for pro in (directory["elsewhere"], directory["gone"]):
        response = client.post(url, intake_body(requester_professional=str(pro.pk)))
        assert response.status_code == 200
        assert "requester_professional" in response.context["form"].errors
    assert not Request.objects.exists()


def test_the_coordinator_who_took_the_call_holds_the_new_request(
    world: World, directory: dict[str, Professional]
) -> None:
    client = world.client_for(world.colleague)
    url = reverse("referrals:request_phone", kwargs={"cell": world.cell.slug})
    response = client.post(url, intake_body(requester_professional=str(directory["martin"].pk)))
    created = Request.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": created.pk}
    )
    assert created.holder == world.colleague
    assert created.held_since is not None and created.last_activity_at == created.held_since
    assert created.status == Status.IN_PROGRESS
    assert created.events.filter(kind=EventKind.TAKEN, actor=world.colleague).count() == 1
    # A colleague cannot take it from them.
    other = MembershipFactory(user=UserFactory(), cell=world.cell, role=Role.COORDINATOR).user
    taken = world.client_for(other).post(
        reverse("referrals:request_action", kwargs={"cell": world.cell.slug, "pk": created.pk, "action": "take"})
    )
    assert taken.status_code == 302
    created.refresh_from_db()
    assert created.holder == world.colleague


def test_the_same_phone_form_sent_again_after_a_colleague_took_the_request_leaves_it_theirs(
    world: World, directory: dict[str, Professional]
) -> None:
    client = world.client_for(world.colleague)
    url = reverse("referrals:request_phone", kwargs={"cell": world.cell.slug})
    body = intake_body(requester_professional=str(directory["martin"].pk))
    client.post(url, body)
    created = Request.objects.get()
    other = MembershipFactory(user=UserFactory(), cell=world.cell, role=Role.COORDINATOR).user
    Request.objects.filter(pk=created.pk).update(holder=other, last_activity_at=created.last_activity_at)
    again = client.post(url, body)
    assert again.status_code == 302
    created.refresh_from_db()
    assert Request.objects.count() == 1 and created.holder == other


def test_a_request_sent_by_a_requester_on_the_web_is_held_by_nobody(world: World) -> None:
    pro = ProfessionalFactory(cell=world.cell, profession="pharmacist")
    requester = MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="pharmacist", professional=pro)
    client = world.client_for(requester.user)
    response = client.post(reverse("referrals:request_new", kwargs={"cell": world.cell.slug}), intake_body())
    assert response.status_code == 302
    created = Request.objects.get()
    assert created.holder is None and created.status == Status.RECEIVED
