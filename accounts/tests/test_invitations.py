"""Invitations: the cell administrator invites by e-mail, the person opens the single-use link, chooses a password
(or joins with their account, or with Pro Santé Connect) and sets up their second factor before the cell opens."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts import services
from accounts.models import Invitation, InvitationStatus, Membership, Role, User
from accounts.psc_views import INVITATION_TOKEN, PSC_IDENTITY
from accounts.tests import test_psc
from accounts.tests.fake_psc import FakePsc
from accounts.tests.test_psc import psc_login
from common.errors import DomainError
from conftest import World
from tests.factories import MembershipFactory, ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db

fake = test_psc.fake  # the fake Pro Santé Connect on loopback, as a fixture here too

LONG_BASE_URL = "https://coordination-soins-non-programmes.cpts-du-pays-d-argentan-et-environs.example.fr/aiguillage"
NEW_PASSWORD = "un-long-mot-de-passe-bien-choisi-7"


def _invite(world: World, capture: Any, **kwargs: Any) -> tuple[Invitation, str]:
    """Invites through the service; returns the invitation and the link of the e-mail received."""
    kwargs.setdefault("email", "nouvelle.medecin@example.org")
    kwargs.setdefault("role", Role.COORDINATOR)
    with capture(execute=True):
        invitation = services.invitation_create(cell=world.cell, invited_by=world.owner, **kwargs)
    return invitation, _link_in(mail.outbox[-1].body)


def _link_in(body: str) -> str:
    match = re.search(r"https?://\S+/invitation/\S+/", body)
    assert match is not None, body
    return match.group(0)


def _path(link: str, base: str = LONG_BASE_URL) -> str:
    assert link.startswith(base + "/")
    return urlsplit(link).path.removeprefix(urlsplit(base).path)


# --- the e-mail ------------------------------------------------------------------------------------------------------


def test_the_invitation_email_as_received_carries_a_working_link_on_the_base_url(
    world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.AIGUILLAGE_BASE_URL = LONG_BASE_URL + "/"
    with translation.override("en"):
        invitation, link = _invite(world, django_capture_on_commit_callbacks, email="Nouvelle.Medecin@Example.ORG")
    message = mail.outbox[-1]
    assert message.to == ["Nouvelle.Medecin@example.org"]
    assert message.subject == f"Invitation to {world.cell.name} on Aiguillage"
    assert f"{world.owner} invites you to join the coordination cell {world.cell.name} on Aiguillage" in message.body
    assert "as: Coordinator." in message.body
    assert "The link expires on" in message.body
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 40
    assert token not in str(list(Invitation.objects.values()))  # only its hash is stored
    assert invitation.token_hash == services.invitation_token_hash(token)
    response = Client().get(_path(link))  # the link followed (the path under the long base address)
    assert response.status_code == 200
    assert response.context["invitation"] == invitation


def test_nothing_is_sent_when_the_invitation_is_rolled_back(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        services.invitation_create(
            cell=world.cell, invited_by=world.owner, email="x@example.org", role=Role.EFFECTOR, professional=None
        )
    assert mail.outbox == []
    assert not Invitation.objects.exists()


# --- what the cell administrator may not do --------------------------------------------------------------------------


def test_an_address_a_member_of_the_cell_already_has_is_refused(world: World) -> None:
    with pytest.raises(DomainError) as error:
        services.invitation_create(cell=world.cell, invited_by=world.owner, email="BOB@example.org", role="coordinator")
    assert error.value.message == services.INVITATION_ALREADY_MEMBER
    assert not Invitation.objects.exists()


def test_a_requester_invitation_without_its_link_is_refused(world: World) -> None:
    with pytest.raises(DomainError) as error:
        services.invitation_create(
            cell=world.cell, invited_by=world.owner, email="p@example.org", role=Role.REQUESTER, requester_type="gp"
        )
    assert error.value.message == services.REQUESTER_LINK_REQUIRED


def test_a_second_invitation_to_a_waiting_address_is_refused(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    _invite(world, django_capture_on_commit_callbacks)
    with pytest.raises(DomainError) as error:
        services.invitation_create(
            cell=world.cell, invited_by=world.owner, email="nouvelle.medecin@example.org", role="coordinator"
        )
    assert error.value.message == services.INVITATION_PENDING


# --- the link ---------------------------------------------------------------------------------------------------------


def test_a_new_person_chooses_a_password_then_sets_up_the_second_factor(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    pro = ProfessionalFactory(cell=world.cell)
    invitation, link = _invite(
        world, django_capture_on_commit_callbacks, role=Role.REQUESTER, requester_type="gp", professional=pro
    )
    client = Client()
    path = urlsplit(link).path
    response = client.post(
        path,
        {
            "username": "c-lenoir",
            "first_name": "Camille",
            "last_name": "Lenoir",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    home = reverse("accounts:cell_home", kwargs={"cell": world.cell.slug})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp_setup") + "?next=" + home.replace("/", "%2F")
    user = User.objects.get(username="c-lenoir")
    assert user.check_password(NEW_PASSWORD)
    assert user.email == "nouvelle.medecin@example.org"
    membership = Membership.objects.get(user=user, cell=world.cell)
    assert (membership.role, membership.requester_type, membership.professional) == (Role.REQUESTER, "gp", pro)
    invitation.refresh_from_db()
    assert invitation.used_at is not None and invitation.membership == membership
    assert client.get(home).status_code == 302  # the cell waits for the second factor
    assert client.get(path).status_code == 410  # used


def test_a_weak_password_creates_nothing_and_leaves_the_link_usable(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    _invitation, link = _invite(world, django_capture_on_commit_callbacks)
    data = {"username": "cl", "first_name": "C", "last_name": "L", "password1": "azerty", "password2": "azerty"}
    response = Client().post(urlsplit(link).path, data)
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert not User.objects.filter(username="cl").exists()
    assert Invitation.objects.get().used_at is None


def test_a_taken_username_is_refused_with_nothing_saved(world: World, django_capture_on_commit_callbacks: Any) -> None:
    _invitation, link = _invite(world, django_capture_on_commit_callbacks)
    data = {
        "username": "BOB",
        "first_name": "C",
        "last_name": "L",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    response = Client().post(urlsplit(link).path, data)
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == [str(services.USERNAME_TAKEN)]
    assert Invitation.objects.get().used_at is None


@pytest.mark.parametrize(
    "spoil, status, reason",
    [
        ("expire", 410, services.INVITATION_EXPIRED),
        ("revoke", 410, services.INVITATION_REVOKED),
        ("use", 410, services.INVITATION_USED),
        ("mistype", 404, services.INVITATION_UNKNOWN),
    ],
)
def test_an_expired_withdrawn_used_or_unknown_link_creates_nothing(
    world: World, django_capture_on_commit_callbacks: Any, spoil: str, status: int, reason: str
) -> None:
    invitation, link = _invite(world, django_capture_on_commit_callbacks)
    path = urlsplit(link).path
    if spoil == "expire":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif spoil == "revoke":
        services.invitation_revoke(invitation=invitation)
    elif spoil == "use":
        services.invitation_accept_for_user(token=link.rstrip("/").rsplit("/", 1)[1], user=UserFactory())
    else:
        path = path[:-5] + "AAAA/"
    users = User.objects.count()
    data = {"username": "cl", "first_name": "C", "last_name": "L", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    for response in (Client().get(path), Client().post(path, data)):
        assert response.status_code == status
        assert response.context["reason"] == reason
        assert "accounts/invitation_gone.html" in [t.name for t in response.templates]
    assert User.objects.count() == users


def test_an_address_with_an_account_logs_in_then_joins_with_it(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    charlie = world.outsider  # cell administrator of the other cell
    _invitation, link = _invite(world, django_capture_on_commit_callbacks, email=charlie.email)
    path = urlsplit(link).path
    anonymous = Client().get(path)
    assert anonymous.context["existing_account"] is True and anonymous.context["form"] is None
    response = Client().post(
        path,
        {"username": "x", "first_name": "C", "last_name": "L", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [str(services.INVITATION_LOG_IN_FIRST)]
    assert not User.objects.filter(username="x").exists()
    client = world.client_for(charlie)
    response = client.post(path, {"action": "join"})
    assert response.status_code == 302
    assert Membership.objects.get(user=charlie, cell=world.cell).role == Role.COORDINATOR


def test_a_professional_identified_by_pro_sante_connect_joins_with_that_identity(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    pro = ProfessionalFactory(cell=world.cell)
    _invitation, link = _invite(
        world, django_capture_on_commit_callbacks, role=Role.EFFECTOR, professional=pro, email="eff@example.org"
    )
    client = Client()
    path = urlsplit(link).path
    client.get(path)
    assert client.session[INVITATION_TOKEN] == path.rstrip("/").rsplit("/", 1)[1]
    session = client.session  # as the PSC callback leaves it for an identity no cell knows
    session[PSC_IDENTITY] = {"rpps": pro.rpps, "given_name": "CAMILLE", "family_name": "LENOIR", "at": 4e9}
    session.save()
    assert client.get(path).context["psc_identity"]["rpps"] == pro.rpps
    response = client.post(path, {"action": "psc"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:cell_home", kwargs={"cell": world.cell.slug})  # PSC is strong
    user = User.objects.get(username=f"psc-{pro.rpps}")
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user).professional == pro


def test_pro_sante_connect_for_another_professional_than_the_invited_one_is_refused(world: World) -> None:
    pro = ProfessionalFactory(cell=world.cell)
    invitation = services.invitation_create(
        cell=world.cell, invited_by=world.owner, email="e@example.org", role=Role.EFFECTOR, professional=pro
    )
    token = "t" * 43
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=services.invitation_token_hash(token))
    with pytest.raises(DomainError) as error:
        services.invitation_accept_with_psc(token=token, rpps="81000000000", given_name="A", family_name="B")
    assert error.value.message == services.INVITATION_RPPS_MISMATCH
    assert not Membership.objects.filter(cell=world.cell, role=Role.EFFECTOR).exists()


# --- the members' page ------------------------------------------------------------------------------------------------


def test_the_members_page_lists_invitations_with_their_status(
    world: World, django_capture_on_commit_callbacks: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(3):
        _invite(world, django_capture_on_commit_callbacks, email=f"p{n}@example.org")
    used, _link = _invite(world, django_capture_on_commit_callbacks, email="used@example.org")
    Invitation.objects.filter(pk=used.pk).update(used_at=timezone.now())
    expired, _link = _invite(world, django_capture_on_commit_callbacks, email="old@example.org")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client = world.client_for(world.owner)
    url = reverse("accounts:member_list", kwargs={"cell": world.cell.slug})
    with django_assert_max_num_queries(14):
        response = client.get(url)
    statuses = {inv.email: status for inv, status, _label in response.context["invitations"]}
    assert statuses == {
        "p0@example.org": InvitationStatus.PENDING,
        "p1@example.org": InvitationStatus.PENDING,
        "p2@example.org": InvitationStatus.PENDING,
        "used@example.org": InvitationStatus.USED,
        "old@example.org": InvitationStatus.EXPIRED,
    }


def test_the_administrator_invites_from_the_page_and_sends_again_with_a_new_link(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = world.client_for(world.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:invitation_create", kwargs={"cell": world.cell.slug}),
            {"email": "nouveau@example.org", "role": Role.SUPERVISOR},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.invited_by == world.owner
    first = _link_in(mail.outbox[-1].body)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:invitation_resend", kwargs={"cell": world.cell.slug, "pk": invitation.pk}))
    second = _link_in(mail.outbox[-1].body)
    assert first != second
    assert Client().get(urlsplit(first).path).status_code == 404  # the old link stops working
    assert Client().get(urlsplit(second).path).status_code == 200
    client.post(reverse("accounts:invitation_revoke", kwargs={"cell": world.cell.slug, "pk": invitation.pk}))
    assert Client().get(urlsplit(second).path).status_code == 410


def test_invitations_are_the_cell_administrators_and_of_their_own_cell(world: World) -> None:
    invitation = services.invitation_create(
        cell=world.cell, invited_by=world.owner, email="n@example.org", role=Role.COORDINATOR
    )
    resend = reverse("accounts:invitation_resend", kwargs={"cell": world.cell.slug, "pk": invitation.pk})
    create = reverse("accounts:invitation_create", kwargs={"cell": world.cell.slug})
    assert world.client_for(world.colleague).post(resend).status_code == 403
    assert world.client_for(world.colleague).get(create).status_code == 403
    assert world.client_for(world.outsider).post(resend).status_code == 404
    other = reverse("accounts:invitation_revoke", kwargs={"cell": world.other_cell.slug, "pk": invitation.pk})
    assert world.client_for(world.outsider).post(other).status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_a_deactivated_member_address_cannot_be_invited_again(world: World) -> None:
    MembershipFactory(cell=world.cell, user=UserFactory(email="gone@example.org"), is_active=False)
    with pytest.raises(DomainError) as error:
        services.invitation_create(
            cell=world.cell, invited_by=world.owner, email="gone@example.org", role="coordinator"
        )
    assert error.value.message == services.INVITATION_ALREADY_MEMBER


def test_pro_sante_connect_from_the_invitation_page_links_the_identity_for_the_next_logins(
    world: World, fake: FakePsc
) -> None:
    pro = ProfessionalFactory(cell=world.cell, rpps=fake.professional.rpps, last_name="Essai-PSC")
    token = "jeton-de-test-" + "x" * 30
    invitation = services.invitation_create(
        cell=world.cell, invited_by=world.owner, email="essai@example.org", role=Role.EFFECTOR, professional=pro
    )
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=services.invitation_token_hash(token))
    path = reverse("accounts:invitation_accept", kwargs={"token": token})
    client = Client()
    assert client.get(path).context["psc_url"] == "/connexion/psc/?next=" + path.replace("/", "%2F")
    back_from_psc = psc_login(client, next_url=path)
    assert back_from_psc["Location"] == path  # no cell knows them yet: back to the invitation, not the access request
    assert client.get(path).context["psc_identity"]["rpps"] == pro.rpps
    joined = client.post(path, {"action": "psc"})
    assert joined["Location"] == reverse("accounts:cell_home", kwargs={"cell": world.cell.slug})
    assert client.get(joined["Location"]).status_code == 200  # a PSC login needs no TOTP code
    again = Client()
    home = psc_login(again)  # the next PSC login opens the cell straight away
    assert home.status_code == 302 and "_auth_user_id" in again.session
    assert again.session["_auth_user_id"] == str(User.objects.get(username=f"psc-{pro.rpps}").pk)
