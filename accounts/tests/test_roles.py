"""Roles: where each lands, what each may open, and members managed by the cell administrator."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import Membership, Role, User
from accounts.policies import ROLE_PERMISSIONS, Perm
from accounts.tests.totp import code_for
from common.errors import DomainError
from conftest import World
from tests.factories import MembershipFactory, ProfessionalFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role, heading",
    [
        (Role.COORDINATOR, "accounts/home/coordinator.html"),
        (Role.SUPERVISOR, "accounts/home/supervisor.html"),
        (Role.CELL_ADMIN, "accounts/home/cell_admin.html"),
        (Role.EFFECTOR, "accounts/home/effector.html"),
        (Role.REQUESTER, "accounts/home/requester.html"),
    ],
)
def test_each_role_lands_on_its_own_home_page(world: World, role: str, heading: str) -> None:
    extra: dict[str, object] = {}
    if role in (Role.EFFECTOR, Role.REQUESTER):
        extra["professional"] = ProfessionalFactory(cell=world.cell)
    if role == Role.REQUESTER:
        extra["requester_type"] = "pharmacist"
    user = MembershipFactory(cell=world.cell, role=role, **extra).user
    client = world.client_for(user)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == f"/c/{world.cell.slug}/"
    assert heading in [t.name for t in response.templates]


def test_a_member_of_two_cells_lands_on_what_waits_in_each(world: World) -> None:
    MembershipFactory(user=world.colleague, cell=world.other_cell, role=Role.COORDINATOR)
    response = world.client_for(world.colleague).get("/", follow=True)
    assert response.redirect_chain == [("/ce-qui-vous-attend/", 302)]
    assert {each.cell for each in response.context["cells"]} == {world.cell, world.other_cell}


def test_login_page_then_home(world: World) -> None:
    client = Client()
    assert client.get("/").status_code == 302
    device = TOTPDevice.objects.create(user=world.colleague, name="app", confirmed=True)
    response = client.post("/connexion/", {"username": "bob", "password": "motdepasse-de-test-42"}, follow=True)
    assert response.redirect_chain[-1][0] == "/connexion/code/?next=%2F"
    response = client.post("/connexion/code/", {"token": code_for(device), "next": "/"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/c/{world.cell.slug}/"
    bad = Client().post("/connexion/", {"username": "bob", "password": "wrong"})
    assert bad.status_code == 200
    assert bad.context["form"].errors


def test_a_deactivated_membership_loses_the_cell_at_once(world: World) -> None:
    client = world.client_for(world.colleague)
    Membership.objects.filter(user=world.colleague).update(is_active=False)
    assert client.get(f"/c/{world.cell.slug}/").status_code == 404


def test_requesters_and_effectors_cannot_open_the_directory_lists(world: World) -> None:
    pro = ProfessionalFactory(cell=world.cell)
    requester = MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="gp", professional=pro).user
    client = world.client_for(requester)
    assert client.get(reverse("directory:professional_list", kwargs={"cell": world.cell.slug})).status_code == 403
    assert client.get(reverse("accounts:member_list", kwargs={"cell": world.cell.slug})).status_code == 403


def test_only_the_cell_administrator_manages_members_and_territory() -> None:
    holders = {role for role, perms in ROLE_PERMISSIONS.items() if Perm.MEMBERS_MANAGE in perms}
    assert holders == {Role.CELL_ADMIN}
    assert {role for role, perms in ROLE_PERMISSIONS.items() if Perm.TERRITORY_MANAGE in perms} == {Role.CELL_ADMIN}


def test_member_create_makes_a_user_with_a_strong_password(world: World) -> None:
    site = SiteFactory(cell=world.cell, kind="pharmacy")
    membership = services.member_create(
        cell=world.cell,
        username="pharma-test",
        first_name="Lina",
        last_name="Morel",
        email="lina@example.org",
        password="un-mot-de-passe-solide",
        role=Role.REQUESTER,
        requester_type="pharmacist",
        site=site,
    )
    assert membership.user.check_password("un-mot-de-passe-solide")
    assert Client().login(username="pharma-test", password="un-mot-de-passe-solide")


@pytest.mark.parametrize("password", ["court", "123456789012", "password1234"])
def test_member_create_refuses_weak_passwords_and_saves_nothing(world: World, password: str) -> None:
    with pytest.raises(DomainError) as raised:
        services.member_create(
            cell=world.cell,
            username="faible",
            first_name="A",
            last_name="B",
            email="a@example.org",
            password=password,
            role=Role.COORDINATOR,
        )
    assert raised.value.field == "password"
    assert not User.objects.filter(username="faible").exists()


def test_a_requester_must_be_linked_to_the_directory(world: World) -> None:
    with pytest.raises(DomainError) as raised:
        services.member_create(
            cell=world.cell,
            username="orphan",
            first_name="A",
            last_name="B",
            email="a@example.org",
            password="un-mot-de-passe-solide",
            role=Role.REQUESTER,
            requester_type="gp",
        )
    assert raised.value.field == "professional"
    assert not User.objects.filter(username="orphan").exists()


def test_member_form_errors_keep_the_typed_values(world: World) -> None:
    client = world.client_for(world.owner)
    response = client.post(
        reverse("accounts:member_create", kwargs={"cell": world.cell.slug}),
        {
            "username": "bob",
            "first_name": "Léa",
            "last_name": "Roux",
            "email": "lea@example.org",
            "password": "un-mot-de-passe-solide",
            "role": "coordinator",
        },
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["username"]
    assert 'value="Léa"' in response.content.decode()


def test_members_of_another_cell_cannot_be_linked(world: World) -> None:
    foreign = ProfessionalFactory(cell=world.other_cell)
    with pytest.raises(DomainError) as raised:
        services.member_create(
            cell=world.cell,
            username="x-link",
            first_name="A",
            last_name="B",
            email="a@example.org",
            password="un-mot-de-passe-solide",
            role=Role.EFFECTOR,
            professional=foreign,
        )
    assert (raised.value.field, raised.value.message) == ("professional", services.LINK_OF_OTHER_CELL)
    assert not UserFactory._meta.model.objects.filter(username="x-link").exists()


def test_a_platform_administrator_without_a_cell_lands_on_the_django_admin(world: World) -> None:
    admin = UserFactory(username="plateforme", is_staff=True, is_superuser=True)
    response = world.client_for(admin).get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_a_user_without_any_cell_is_told_to_ask_for_access(world: World) -> None:
    lonely = UserFactory(username="sans-cellule")
    response = world.client_for(lonely).get("/")
    assert response.status_code == 200
    assert "administrateur de votre cellule" in response.content.decode()


def test_a_cell_administrator_cannot_open_the_django_admin(world: World) -> None:
    response = world.client_for(world.owner).get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_cell_home_uses_a_constant_number_of_queries(world: World, django_assert_max_num_queries: object) -> None:
    for _ in range(15):
        ProfessionalFactory(cell=world.cell)
    client = world.client_for(world.owner)
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        assert client.get(f"/c/{world.cell.slug}/").status_code == 200


def test_an_existing_account_is_attached_by_username_and_email_together(world: World) -> None:
    membership = services.member_attach(
        cell=world.other_cell, username="BOB", email="bob@example.org", role=Role.COORDINATOR
    )
    assert membership.user == world.colleague
    assert {m.cell for m in world.colleague.memberships.all()} == {world.cell, world.other_cell}


@pytest.mark.parametrize("username, email", [("bob", "wrong@example.org"), ("nobody", "bob@example.org")])
def test_attaching_needs_both_the_username_and_its_email(world: World, username: str, email: str) -> None:
    with pytest.raises(DomainError) as raised:
        services.member_attach(cell=world.other_cell, username=username, email=email, role=Role.COORDINATOR)
    assert raised.value.message == services.ACCOUNT_NOT_FOUND
    assert not Membership.objects.filter(cell=world.other_cell, user__username="bob").exists()


def test_an_account_cannot_be_given_a_role_it_already_holds(world: World) -> None:
    with pytest.raises(DomainError) as raised:
        services.member_attach(cell=world.cell, username="bob", email="bob@example.org", role=Role.COORDINATOR)
    assert raised.value.message == services.ROLE_ALREADY_HELD


def test_the_last_cell_administrator_cannot_leave_or_be_demoted(world: World) -> None:
    admin = Membership.objects.get(user=world.owner, cell=world.cell)
    for change in ({"role": Role.COORDINATOR, "is_active": True}, {"role": Role.CELL_ADMIN, "is_active": False}):
        with pytest.raises(DomainError) as raised:
            services.member_update(membership=admin, first_name="A", last_name="B", email="alice@example.org", **change)
        assert raised.value.message == services.LAST_CELL_ADMIN
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (Role.CELL_ADMIN, True)
    MembershipFactory(cell=world.cell, role=Role.CELL_ADMIN)
    services.member_update(
        membership=admin, first_name="A", last_name="B", email="alice@example.org", role=Role.COORDINATOR
    )
    admin.refresh_from_db()
    assert admin.role == Role.COORDINATOR


def test_a_cell_cannot_rename_an_account_shared_with_another_cell(world: World) -> None:
    shared = services.member_attach(
        cell=world.other_cell, username="bob", email="bob@example.org", role=Role.COORDINATOR
    )
    with pytest.raises(DomainError) as raised:
        services.member_update(
            membership=shared, first_name="Robert", last_name="X", email="x@example.org", role=Role.COORDINATOR
        )
    assert raised.value.message == services.SHARED_ACCOUNT
    world.colleague.refresh_from_db()
    assert world.colleague.email == "bob@example.org"
    form_page = world.client_for(world.outsider).get(
        reverse("accounts:member_update", kwargs={"cell": world.other_cell.slug, "pk": shared.pk})
    )
    assert form_page.context["form"].fields["email"].disabled


def test_a_requester_type_matches_the_linked_professional(world: World) -> None:
    gp = ProfessionalFactory(cell=world.cell, profession="gp")
    with pytest.raises(DomainError) as raised:
        services.member_create(
            cell=world.cell,
            username="faux-pharma",
            first_name="A",
            last_name="B",
            email="a@example.org",
            password="un-mot-de-passe-solide",
            role=Role.REQUESTER,
            requester_type="pharmacist",
            professional=gp,
        )
    assert raised.value.message == services.REQUESTER_TYPE_MISMATCH
    ok = services.member_create(
        cell=world.cell,
        username="vrai-mg",
        first_name="A",
        last_name="B",
        email="a@example.org",
        password="un-mot-de-passe-solide",
        role=Role.REQUESTER,
        requester_type="gp",
        professional=gp,
    )
    assert ok.professional == gp


def test_every_account_changes_its_own_password(world: World) -> None:
    client = world.client_for(world.colleague)
    url = reverse("accounts:password_change")
    weak = client.post(
        url, {"old_password": "motdepasse-de-test-42", "new_password1": "court", "new_password2": "court"}
    )
    assert weak.status_code == 200 and weak.context["form"].errors["new_password2"]
    response = client.post(
        url,
        {
            "old_password": "motdepasse-de-test-42",
            "new_password1": "un-tout-nouveau-secret-7",
            "new_password2": "un-tout-nouveau-secret-7",
        },
    )
    assert response.status_code == 302
    world.colleague.refresh_from_db()
    assert world.colleague.check_password("un-tout-nouveau-secret-7")
