"""Issue 21, 1c: one person, several roles in a cell, one login (one membership row per role); the pages that differ
by role follow the role the person acts as, chosen in the header."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import selectors, services
from accounts.models import Membership, Role, User
from accounts.policies import ACTING_ROLE_KEY, ROLE_ORDER, Perm, membership_for
from agenda.models import Slot
from common.errors import DomainError
from conftest import World
from notifications.models import Message, MessageKind
from referrals import services as referrals
from referrals.models import Request
from referrals.tests.factories import make_request
from referrals.tests.test_views import intake_body
from tests.factories import MembershipFactory, ProfessionalFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gp(world: World) -> User:
    """A GP who refers patients and publishes SNP slots: two rows, each with its own links."""
    professional = ProfessionalFactory(cell=world.cell, profession="gp", last_name="Lefèvre")
    professional.sites.add(SiteFactory(cell=world.cell))
    requester = MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="gp", professional=professional)
    MembershipFactory(user=requester.user, cell=world.cell, role=Role.EFFECTOR, professional=professional)
    user: User = requester.user
    return user


def _home(client: Any, world: World) -> Any:
    return client.get(reverse("accounts:cell_home", kwargs={"cell": world.cell.slug}))


def _switch(client: Any, world: World, role: str) -> Any:
    return client.post(reverse("accounts:acting_role", kwargs={"cell": world.cell.slug}), {"role": role})


def test_a_gp_with_two_roles_sends_a_request_and_publishes_a_slot_without_switching(world: World, gp: User) -> None:
    client = world.client_for(gp)
    sent = client.post(reverse("referrals:request_new", kwargs={"cell": world.cell.slug}), intake_body())
    request = Request.objects.get()
    assert sent.status_code == 302 and request.submitted_by == gp
    professional = gp.memberships.get(role=Role.EFFECTOR).professional
    assert request.requester_professional == professional
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    published = client.post(
        reverse("agenda:publish", kwargs={"cell": world.cell.slug}),
        {
            "professional": professional.pk,
            "day": day,
            "start": "18:00",
            "end": "18:40",
            "minutes": "20",
            "care_channel": "gp",
            "exam_type": "",
            "modality": "in_person",
            "capacity": "1",
        },
    )
    assert published.status_code == 302
    assert set(Slot.objects.values_list("professional", flat=True)) == {professional.pk}
    assert ACTING_ROLE_KEY not in client.session  # nothing was switched


def test_the_home_page_follows_the_role_the_person_acts_as(world: World, gp: User) -> None:
    client = world.client_for(gp)
    assert _home(client, world).templates[0].name == "accounts/home/effector.html"  # the default order
    switched = _switch(client, world, Role.REQUESTER)
    assert switched.status_code == 302 and switched["Location"] == f"/c/{world.cell.slug}/"
    page = _home(client, world)
    assert page.templates[0].name == "accounts/home/requester.html"
    assert page.context["membership"].role == Role.REQUESTER
    assert page.context["perms_in_cell"]["SLOTS_PUBLISH"] and page.context["perms_in_cell"]["REQUEST_SUBMIT"]
    assert client.session[ACTING_ROLE_KEY] == {world.cell.slug: Role.REQUESTER}


def test_switching_to_a_role_the_person_does_not_hold_is_refused_and_changes_nothing(world: World, gp: User) -> None:
    client = world.client_for(gp)
    _switch(client, world, Role.REQUESTER)
    for role in (Role.COORDINATOR, Role.CELL_ADMIN, "superuser", ""):
        assert _switch(client, world, role).status_code == 403
    assert client.session[ACTING_ROLE_KEY] == {world.cell.slug: Role.REQUESTER}
    assert _home(client, world).templates[0].name == "accounts/home/requester.html"
    assert client.get(reverse("accounts:acting_role", kwargs={"cell": world.cell.slug})).status_code == 405


def test_another_cells_member_cannot_switch_here(world: World) -> None:
    answer = world.client_for(world.outsider).post(
        reverse("accounts:acting_role", kwargs={"cell": world.cell.slug}), {"role": Role.CELL_ADMIN}
    )
    assert answer.status_code == 404


def test_a_role_chosen_then_taken_away_falls_back_to_the_default(world: World, gp: User) -> None:
    client = world.client_for(gp)
    _switch(client, world, Role.REQUESTER)
    Membership.objects.filter(user=gp, role=Role.REQUESTER).update(is_active=False)
    page = _home(client, world)
    assert page.templates[0].name == "accounts/home/effector.html"
    assert not page.context["perms_in_cell"]["REQUEST_SUBMIT"]


def test_the_switch_shows_only_for_a_person_with_several_roles(world: World, gp: User) -> None:
    action = f'action="/c/{world.cell.slug}/role/"'
    assert action in _home(world.client_for(gp), world).content.decode()
    assert action not in _home(world.client_for(world.colleague), world).content.decode()


def test_the_acting_row_and_the_union_come_in_one_query(world: World, gp: User, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        acting = membership_for(gp, world.cell.slug)
    assert acting.role == ROLE_ORDER[3] == Role.EFFECTOR
    assert {Perm.REQUEST_SUBMIT, Perm.SLOTS_PUBLISH, Perm.OWN_APPOINTMENTS} <= acting.granted
    assert Perm.QUEUE_VIEW not in acting.granted


def test_a_member_is_given_one_more_role_but_not_twice_the_same(world: World) -> None:
    professional = ProfessionalFactory(cell=world.cell)
    added = services.member_attach(
        cell=world.cell, username="bob", email="bob@example.org", role=Role.EFFECTOR, professional=professional
    )
    assert added.user == world.colleague
    assert set(world.colleague.memberships.values_list("role", flat=True)) == {Role.COORDINATOR, Role.EFFECTOR}
    with pytest.raises(DomainError) as raised:
        services.member_attach(
            cell=world.cell, username="bob", email="bob@example.org", role=Role.EFFECTOR, professional=professional
        )
    assert raised.value.message == services.ROLE_ALREADY_HELD
    assert world.colleague.memberships.count() == 2


def test_a_row_cannot_take_a_role_its_person_already_holds(world: World, gp: User) -> None:
    effector = gp.memberships.get(role=Role.EFFECTOR)
    with pytest.raises(DomainError) as raised:
        services.member_update(
            membership=effector,
            first_name=gp.first_name,
            last_name=gp.last_name,
            email=gp.email,
            role=Role.REQUESTER,
            requester_type="gp",
            professional=effector.professional,
        )
    assert raised.value.message == services.ROLE_ALREADY_HELD


def _update(row: Membership, **changes: Any) -> Membership:
    values = {
        "first_name": row.user.first_name,
        "last_name": row.user.last_name,
        "email": row.user.email,
        "role": row.role,
        "requester_type": row.requester_type,
        "professional": row.professional,
        "site": row.site,
        "is_active": row.is_active,
    }
    return services.member_update(membership=row, **(values | changes))


def test_taking_away_one_role_ends_the_persons_access_and_keeps_the_rows(world: World, gp: User) -> None:
    effector = gp.memberships.get(role=Role.EFFECTOR)
    _update(effector, is_active=False)
    assert list(gp.memberships.values_list("role", "is_active").order_by("role")) == [
        (Role.EFFECTOR, False),
        (Role.REQUESTER, False),
    ]
    assert _home(world.client_for(gp), world).status_code == 404
    _update(gp.memberships.get(role=Role.EFFECTOR), is_active=True)  # given back: that role only
    assert set(gp.memberships.filter(is_active=True).values_list("role", flat=True)) == {Role.EFFECTOR}


def test_the_last_administrator_keeps_access_through_their_other_role(world: World) -> None:
    coordinator_row = MembershipFactory(user=world.owner, cell=world.cell, role=Role.COORDINATOR)
    with pytest.raises(DomainError) as raised:
        _update(coordinator_row, is_active=False)  # it would close their administrator row too
    assert raised.value.message == services.LAST_CELL_ADMIN
    assert world.owner.memberships.filter(is_active=True).count() == 2


def test_the_members_list_shows_one_line_per_person_with_their_roles(
    world: World, gp: User, django_assert_max_num_queries: Any
) -> None:
    MembershipFactory(user=world.owner, cell=world.cell, role=Role.COORDINATOR)
    client = world.client_for(world.owner)
    url = reverse("accounts:member_list", kwargs={"cell": world.cell.slug})
    with django_assert_max_num_queries(10):  # the same for three people as for eight below: no query per person
        page = client.get(url)
    lines = {obj.user.username: {c.attr: v for c, v in cells} for obj, cells in page.context["rows"]}
    assert sorted(lines) == sorted(["alice", "bob", gp.username])
    assert lines["alice"]["roles"].count(", ") == 1 and lines["alice"]["is_active"] is True
    effectors = client.get(url, {"role": Role.EFFECTOR})
    assert [obj.user for obj, _ in effectors.context["rows"]] == [gp]
    for _ in range(5):
        MembershipFactory(user=MembershipFactory(cell=world.cell, role=Role.SUPERVISOR).user, cell=world.cell)
    with django_assert_max_num_queries(10):
        assert len(client.get(url).context["rows"]) == 8


def test_the_members_list_names_each_role(world: World, gp: User, settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"
    page = world.client_for(world.owner).get(
        reverse("accounts:member_list", kwargs={"cell": world.cell.slug}), HTTP_ACCEPT_LANGUAGE="en"
    )
    line = next(cells for obj, cells in page.context["rows"] if obj.user == gp)
    roles = next(value for column, value in line if column.attr == "roles")
    assert str(Role.REQUESTER.label) in roles and str(Role.EFFECTOR.label) in roles


def test_the_figures_count_people_not_roles(world: World, gp: User) -> None:
    assert selectors.cell_overview(world.cell)["members"] == 3  # alice, bob, the GP (two rows)


def test_how_to_tell_me_is_one_choice_for_the_person(world: World, gp: User) -> None:
    client = world.client_for(gp)
    client.post(reverse("accounts:alert_channel", kwargs={"cell": world.cell.slug}), {"alert_channel": "email"})
    assert set(gp.memberships.values_list("alert_channel", flat=True)) == {"email"}


def test_a_coordinator_on_duty_as_supervisor_is_warned_of_a_deadline_once(world: World) -> None:
    now = timezone.now()
    doctor = MembershipFactory(
        cell=world.cell, role=Role.SUPERVISOR, professional=ProfessionalFactory(cell=world.cell, phone="+33611223344")
    ).user
    MembershipFactory(user=doctor, cell=world.cell, role=Role.COORDINATOR)
    referrals.shift_add(
        cell=world.cell, supervisor=doctor, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8)
    )
    near = make_request(world.cell, now=now - timedelta(hours=43))
    referrals.request_take(request=near, user=doctor)
    assert referrals.deadlines_warn(now=now) == 1
    told = list(Message.objects.filter(kind=MessageKind.DEADLINE_NEAR).values_list("to", flat=True))
    assert told == ["+33611223344"]


def test_a_person_with_two_roles_in_one_cell_lands_in_it_and_sees_no_change_of_cell(world: World, gp: User) -> None:
    client = world.client_for(gp)
    landing = client.get("/")
    assert landing.status_code == 302 and landing["Location"] == f"/c/{world.cell.slug}/"
    assert 'href="/"' not in _home(client, world).content.decode().split('class="user-nav"')[1].split("</nav>")[0]


def test_the_view_of_several_cells_lists_each_cell_once_with_its_roles(world: World, gp: User) -> None:
    MembershipFactory(user=gp, cell=world.other_cell, role=Role.COORDINATOR)
    page = world.client_for(gp).get("/", follow=True)
    cells = [(each.cell, each.role_labels) for each in page.context["cells"]]
    assert [cell for cell, _ in cells] == [world.cell, world.other_cell]
    assert len(cells[0][1]) == 2 and len(cells[1][1]) == 1
