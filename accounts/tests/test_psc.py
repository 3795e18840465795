"""Pro Santé Connect login, end to end against a fake PSC on loopback (accounts/tests/fake_psc.py).

The browser's part is played by two clients: Django's test client for Aiguillage's pages, and `requests` for the
provider's authorization page (real HTTP), whose redirection back to Aiguillage the test follows. Aiguillage itself
calls the provider's discovery, token, JWKS and userinfo endpoints over real HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.messages import get_messages
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import psc, psc_views
from accounts.backends import PSC_BACKEND
from accounts.middleware import LOGIN_AT
from accounts.models import Membership, PscAccessRequest, PscAccessStatus, RequesterType, Role
from accounts.tests.fake_psc import MISSING, FakePsc
from audit.models import AccessAction, AccessEvent
from conftest import World
from directory.models import Professional
from tests.factories import MembershipFactory, ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db

RPPS = "81000000012"


@pytest.fixture
def fake(settings: Any) -> Iterator[FakePsc]:
    provider = FakePsc().start()
    settings.AIGUILLAGE_PSC_CLIENT_ID = provider.client_id
    settings.AIGUILLAGE_PSC_CLIENT_SECRET = provider.client_secret
    settings.AIGUILLAGE_PSC_DISCOVERY_URL = provider.discovery_url
    settings.AIGUILLAGE_PSC_TIMEOUT = 5
    psc.forget_metadata()
    yield provider
    psc.forget_metadata()
    provider.stop()


def start(client: Client, next_url: str = "") -> str:
    """Clicks the PSC button; returns the provider's authorization address Aiguillage sent the browser to."""
    response = client.get("/connexion/psc/" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    return str(response["Location"])


def at_provider(authorization_url: str) -> str:
    """The browser at the provider: the professional authenticates; returns where PSC sends the browser back."""
    answer = requests.get(authorization_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


def back(client: Client, callback_url: str) -> Any:
    parts = urlsplit(callback_url)
    assert parts.path == "/connexion/psc/retour/"
    return client.get(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})


def psc_login(client: Client, next_url: str = "") -> Any:
    return back(client, at_provider(start(client, next_url)))


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def last_login_failure() -> AccessEvent:
    event = AccessEvent.objects.filter(action=AccessAction.LOGIN_FAILED).order_by("-id").first()
    assert event is not None
    return event


def known_requester(world: World, *, rpps: str = RPPS, active: bool = True) -> Any:
    professional = ProfessionalFactory(cell=world.cell, rpps=rpps, last_name="Essai-PSC", profession="gp")
    return MembershipFactory(
        user=UserFactory(username="dr-essai"),
        cell=world.cell,
        role=Role.REQUESTER,
        requester_type=RequesterType.GP,
        professional=professional,
        is_active=active,
    )


def assert_refused(client: Client, response: Any, message: Any, reason: str) -> None:
    assert response.status_code == 302 and response["Location"] == "/connexion/"
    assert not is_logged_in(client)
    assert str(message) in messages_of(response)
    assert reason in last_login_failure().detail


# --- The request sent to PSC -------------------------------------------------------------------------------------


def test_the_login_page_shows_the_psc_button_only_when_psc_is_configured(world: World, settings: Any) -> None:
    settings.AIGUILLAGE_PSC_CLIENT_ID = ""
    assert 'href="/connexion/psc/"' not in Client().get("/connexion/").content.decode()
    assert Client().get("/connexion/psc/").status_code == 404
    assert Client().get("/connexion/psc/retour/", {"code": "x", "state": "y"}).status_code == 404
    settings.AIGUILLAGE_PSC_CLIENT_ID = "aiguillage-test"
    page = Client().get("/connexion/").content.decode()
    assert 'href="/connexion/psc/"' in page and 'class="psc-button"' in page


def test_the_authorization_request_asks_psc_for_eidas1_with_pkce_nonce_and_state(world: World, fake: FakePsc) -> None:
    location = start(Client())
    assert location.startswith(fake.base + "/auth?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["scope"] == "openid scope_all" and query["acr_values"] == "eidas1"
    assert query["response_type"] == "code" and query["client_id"] == fake.client_id
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 20 and len(query["nonce"]) >= 20
    assert query["redirect_uri"] == "http://127.0.0.1:8000/connexion/psc/retour/"
    # The discovery document was read at PSC's own, non-standard path.
    assert fake.paths[0] == "/auth/realms/esante-wallet/.well-known/wallet-openid-configuration"


# --- Success -----------------------------------------------------------------------------------------------------


def test_a_known_professional_is_logged_in_without_a_totp_code(world: World, fake: FakePsc) -> None:
    membership = known_requester(world)
    TOTPDevice.objects.create(user=membership.user, name="app", confirmed=True)  # enrolled, yet not asked
    client = Client()
    response = psc_login(client)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(membership.user.pk)
    assert client.session["_auth_user_backend"] == PSC_BACKEND
    home = client.get(f"/c/{world.cell.slug}/")
    assert home.status_code == 200  # not sent to the second-factor pages
    assert client.get("/connexion/code/")["Location"] == "/"  # nothing to verify
    login = AccessEvent.objects.filter(action=AccessAction.LOGIN, user=membership.user).get()
    assert login.detail == "psc"
    # The token request carried the PKCE verifier and the client's Basic authentication.
    assert fake.token_requests[-1]["code_verifier"] and fake.token_requests[-1]["grant_type"] == "authorization_code"


def test_the_login_returns_to_the_page_asked_before(world: World, fake: FakePsc) -> None:
    known_requester(world)
    client = Client()
    response = psc_login(client, next_url=f"/c/{world.cell.slug}/")
    assert response["Location"] == f"/c/{world.cell.slug}/"
    other_site = Client()
    assert psc_login(other_site, next_url="https://evil.example.org/")["Location"] == "/"


def test_userinfo_as_a_signed_jwt_is_accepted(world: World, fake: FakePsc) -> None:
    fake.userinfo_mode = "jwt"
    membership = known_requester(world)
    client = Client()
    psc_login(client)
    assert client.session["_auth_user_id"] == str(membership.user.pk)


def test_eidas3_is_accepted(world: World, fake: FakePsc) -> None:
    fake.acr = "eidas3"
    known_requester(world)
    client = Client()
    psc_login(client)
    assert is_logged_in(client)


def test_the_session_limits_apply_to_a_psc_session(world: World, fake: FakePsc, settings: Any) -> None:
    known_requester(world)
    client = Client()
    psc_login(client)
    session = client.session
    session[LOGIN_AT] = int(time.time()) - settings.AIGUILLAGE_SESSION_HOURS * 3600 - 5
    session.save()
    response = client.get(f"/c/{world.cell.slug}/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert not is_logged_in(client)


def test_logout_of_a_psc_session_offers_the_logout_at_psc(world: World, fake: FakePsc) -> None:
    known_requester(world)
    client = Client()
    psc_login(client)
    id_token = client.session[psc_views.PSC_ID_TOKEN]
    response = client.post("/deconnexion/")
    assert response.status_code == 200 and not is_logged_in(client)
    link = urlsplit(response.context["psc_logout_url"])
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    assert (
        f"{link.scheme}://{link.netloc}{link.path}"
        == fake.base + "/auth/realms/esante-wallet/protocol/openid-connect/logout"
    )
    assert query["id_token_hint"] == id_token and query["client_id"] == fake.client_id
    assert query["post_logout_redirect_uri"] == "http://127.0.0.1:8000/connexion/"
    assert requests.get(response.context["psc_logout_url"], timeout=5).status_code == 200
    # A password session's logout is the usual one.
    plain = World.client_for(world, world.colleague)
    assert plain.post("/deconnexion/")["Location"] == "/connexion/"


# --- Refusals ----------------------------------------------------------------------------------------------------


def test_a_wrong_nonce_is_refused(world: World, fake: FakePsc) -> None:
    known_requester(world)
    fake.nonce_override = "not-the-nonce-aiguillage-sent"
    client = Client()
    assert_refused(client, psc_login(client), psc.INVALID_ANSWER, "nonce")


def test_a_state_the_session_does_not_know_is_refused(world: World, fake: FakePsc) -> None:
    known_requester(world)
    client = Client()
    callback = at_provider(start(client))
    forged = callback.replace("state=", "state=x")
    assert_refused(client, back(client, forged), psc.SESSION_MISMATCH, "state")
    assert fake.token_requests == []  # the code was never exchanged


def test_an_answer_is_accepted_once_and_in_its_own_session_only(world: World, fake: FakePsc) -> None:
    known_requester(world)
    victim, attacker = Client(), Client()
    callback = at_provider(start(attacker))
    start(victim)
    # Login CSRF: the attacker's answer replayed in the victim's browser does not log the victim in.
    assert_refused(victim, back(victim, callback), psc.SESSION_MISMATCH, "state")
    assert back(attacker, callback).status_code == 302 and is_logged_in(attacker)
    again = Client()
    start(again)
    assert_refused(again, back(again, callback), psc.SESSION_MISMATCH, "state")


@pytest.mark.parametrize("acr", ["eidas2", "", MISSING])
def test_a_login_below_eidas1_is_refused(world: World, fake: FakePsc, acr: Any) -> None:
    known_requester(world)
    fake.acr = acr
    client = Client()
    assert_refused(client, psc_login(client), psc.WEAK_LEVEL, "acr")


def test_a_pkce_verifier_that_does_not_match_is_refused(world: World, fake: FakePsc) -> None:
    known_requester(world)
    fake.break_pkce = True
    client = Client()
    assert_refused(client, psc_login(client), psc.INVALID_ANSWER, "invalid_grant")
    assert fake.token_errors == ["PKCE verification failed"]


def test_a_userinfo_jwt_with_a_bad_signature_is_refused(world: World, fake: FakePsc) -> None:
    known_requester(world)
    fake.userinfo_mode = "jwt_other_key"
    client = Client()
    assert_refused(client, psc_login(client), psc.INVALID_ANSWER, "userinfo")


def test_an_id_token_with_a_bad_signature_or_for_another_client_is_refused(world: World, fake: FakePsc) -> None:
    known_requester(world)
    fake.id_token_other_key = True
    client = Client()
    assert_refused(client, psc_login(client), psc.INVALID_ANSWER, "token")
    fake.id_token_other_key, fake.id_token_audience = False, "another-service"
    client = Client()
    assert_refused(client, psc_login(client), psc.INVALID_ANSWER, "aud")


def test_a_userinfo_about_someone_else_is_refused(world: World, fake: FakePsc) -> None:
    known_requester(world)
    fake.userinfo_mode = "json_other_sub"
    client = Client()
    assert_refused(client, psc_login(client), psc.INVALID_ANSWER, "sub")


def test_a_discovery_document_of_another_issuer_is_refused(world: World, fake: FakePsc) -> None:
    fake.discovery_issuer = "https://elsewhere.example.org/auth/realms/esante-wallet"
    client = Client()
    response = client.get("/connexion/psc/")
    assert_refused(client, response, psc.UNAVAILABLE, "issuer")


def test_a_login_cancelled_at_psc_is_refused(world: World, fake: FakePsc) -> None:
    client = Client()
    start(client)
    response = client.get("/connexion/psc/retour/", {"error": "access_denied", "state": "whatever"})
    assert_refused(client, response, psc.PROVIDER_REFUSED, "access_denied")


def test_a_closed_membership_or_a_disabled_account_is_refused(world: World, fake: FakePsc) -> None:
    membership = known_requester(world, active=False)
    client = Client()
    assert_refused(client, psc_login(client), psc_views.ACCESS_CLOSED, "access closed")
    membership.is_active = True
    membership.save()
    membership.user.is_active = False
    membership.user.save()
    client = Client()
    assert_refused(client, psc_login(client), psc_views.ACCESS_CLOSED, "access closed")
    assert not PscAccessRequest.objects.exists()  # no request either: the cell closed the access on purpose


def test_two_accounts_for_one_rpps_are_not_guessed_between(world: World, fake: FakePsc) -> None:
    known_requester(world)
    other = ProfessionalFactory(cell=world.other_cell, rpps=RPPS)
    MembershipFactory(cell=world.other_cell, role=Role.EFFECTOR, professional=other)
    client = Client()
    assert_refused(client, psc_login(client), psc_views.SEVERAL_ACCOUNTS, "several")


# --- A professional no cell knows yet ----------------------------------------------------------------------------


def test_an_unknown_professional_waits_for_approval_then_logs_in(world: World, fake: FakePsc) -> None:
    ProfessionalFactory(cell=world.other_cell, rpps=RPPS, is_active=True)  # the other cell's directory knows them
    client = Client()
    response = psc_login(client)
    assert response["Location"] == "/connexion/psc/demande/" and not is_logged_in(client)
    assert last_login_failure().detail == "psc: no account yet"
    page = client.get("/connexion/psc/demande/")
    assert page.context["form"]["cell"].value() == world.other_cell.pk  # prefilled with the cell that knows them
    assert page.context["identity"]["rpps"] == RPPS and "CAMILLE" in page.content.decode()
    assert client.post("/connexion/psc/demande/", {"cell": world.cell.pk})["Location"] == "/connexion/psc/demande/"
    access_request = PscAccessRequest.objects.get()
    assert (access_request.cell, access_request.status) == (world.cell, PscAccessStatus.PENDING)
    assert (access_request.given_name, access_request.family_name, access_request.profession_code) == (
        "CAMILLE",
        "ESSAI-PSC",
        "10",
    )
    assert client.get("/connexion/psc/demande/").context["form"] is None  # waiting: no second request

    # A second login while it waits shows the same waiting page, and asks nothing new.
    again = Client()
    assert psc_login(again)["Location"] == "/connexion/psc/demande/"
    waiting = again.get("/connexion/psc/demande/")
    assert waiting.context["latest"] == access_request and 'id="psc-status"' in waiting.content.decode()
    assert again.post("/connexion/psc/demande/", {"cell": world.other_cell.pk}).status_code == 302
    assert PscAccessRequest.objects.count() == 1

    # The cell administrator approves it as a GP requester; the directory gets the professional.
    admin = world.client_for(world.owner)
    decide = f"/c/{world.cell.slug}/membres/demandes-psc/{access_request.pk}/"
    form = admin.get(decide)
    assert form.status_code == 200 and form.context["form"]["requester_type"].value() == "gp"  # from PSC's code 10
    assert admin.post(decide, {"decision": "approve", "requester_type": "gp"})["Location"] == (
        f"/c/{world.cell.slug}/membres/demandes-psc/"
    )
    access_request.refresh_from_db()
    assert access_request.status == PscAccessStatus.APPROVED and access_request.decided_by == world.owner
    membership = access_request.membership
    assert (membership.cell, membership.role, membership.requester_type) == (world.cell, Role.REQUESTER, "gp")
    assert membership.professional.rpps == RPPS and membership.professional.first_name == "Camille"
    assert not membership.user.has_usable_password()

    # The next PSC login opens the cell.
    later = Client()
    assert psc_login(later)["Location"] == "/"
    assert later.session["_auth_user_id"] == str(membership.user.pk)
    assert later.get("/")["Location"] == f"/c/{world.cell.slug}/"


def test_approval_links_the_professional_the_directory_already_has(world: World, fake: FakePsc) -> None:
    known: Any = ProfessionalFactory(cell=world.cell, rpps=RPPS, profession="pharmacist", last_name="Officine")
    access_request = PscAccessRequest.objects.create(
        rpps=RPPS, given_name="CAMILLE", family_name="ESSAI-PSC", profession_code="21", cell=world.cell
    )
    admin = world.client_for(world.owner)
    decide = f"/c/{world.cell.slug}/membres/demandes-psc/{access_request.pk}/"
    refused = admin.post(decide, {"decision": "approve", "requester_type": "gp"})  # a GP type for a pharmacist
    assert refused.status_code == 200 and refused.context["form"].errors
    assert PscAccessRequest.objects.get().status == PscAccessStatus.PENDING
    assert admin.post(decide, {"decision": "approve", "requester_type": ""}).context["form"].errors["requester_type"]
    admin.post(decide, {"decision": "approve", "requester_type": "pharmacist"})
    assert Membership.objects.get(professional=known).requester_type == "pharmacist"
    assert Professional.objects.filter(rpps=RPPS).count() == 1


def test_a_refused_professional_is_told_so_at_the_next_login(world: World, fake: FakePsc) -> None:
    client = Client()
    psc_login(client)
    client.post("/connexion/psc/demande/", {"cell": world.cell.pk})
    access_request = PscAccessRequest.objects.get()
    admin = world.client_for(world.owner)
    decide = f"/c/{world.cell.slug}/membres/demandes-psc/{access_request.pk}/"
    assert admin.post(decide, {"decision": "refuse", "requester_type": ""}).status_code == 302
    assert PscAccessRequest.objects.get().status == PscAccessStatus.REFUSED
    assert admin.post(decide, {"decision": "approve", "requester_type": "gp"}).status_code == 200  # decided already
    later = Client()
    assert psc_login(later)["Location"] == "/connexion/psc/demande/" and not is_logged_in(later)
    page = later.get("/connexion/psc/demande/")
    assert page.context["form"] is None and page.context["latest"].status == PscAccessStatus.REFUSED
    assert later.post("/connexion/psc/demande/", {"cell": world.other_cell.pk}).status_code == 302
    assert PscAccessRequest.objects.count() == 1 and not Membership.objects.filter(professional__rpps=RPPS).exists()


def test_the_waiting_page_needs_a_fresh_psc_identity(world: World, fake: FakePsc) -> None:
    anonymous = Client()
    assert anonymous.get("/connexion/psc/demande/")["Location"] == "/connexion/"
    assert anonymous.post("/connexion/psc/demande/", {"cell": world.cell.pk})["Location"] == "/connexion/"
    client = Client()
    psc_login(client)
    session = client.session
    session[psc_views.PSC_IDENTITY]["at"] -= psc_views.PSC_IDENTITY_SECONDS + 1
    session.save()
    assert client.post("/connexion/psc/demande/", {"cell": world.cell.pk})["Location"] == "/connexion/"
    assert not PscAccessRequest.objects.exists()


# --- The cell administrator's screens: owner, colleague, outsider ------------------------------------------------


def test_only_the_cell_administrators_of_the_chosen_cell_see_and_decide(world: World) -> None:
    mine = PscAccessRequest.objects.create(rpps=RPPS, given_name="A", family_name="Essai", cell=world.cell)
    theirs = PscAccessRequest.objects.create(
        rpps="81000000020", given_name="B", family_name="Ailleurs", cell=world.other_cell
    )
    owner, colleague, outsider = (world.client_for(u) for u in (world.owner, world.colleague, world.outsider))
    listing = f"/c/{world.cell.slug}/membres/demandes-psc/"
    page = owner.get(listing)
    assert page.status_code == 200 and "Essai" in page.content.decode() and "Ailleurs" not in page.content.decode()
    assert "demandes-psc" in owner.get(f"/c/{world.cell.slug}/membres/").content.decode()  # one waits: a link
    assert owner.get(f"{listing}{mine.pk}/").status_code == 200
    assert owner.get(f"{listing}{theirs.pk}/").status_code == 404
    assert owner.post(f"{listing}{theirs.pk}/", {"decision": "refuse"}).status_code == 404
    assert colleague.get(listing).status_code == 403
    assert colleague.post(f"{listing}{mine.pk}/", {"decision": "refuse"}).status_code == 403
    assert outsider.get(listing).status_code == 404
    assert outsider.post(f"{listing}{mine.pk}/", {"decision": "refuse"}).status_code == 404
    assert PscAccessRequest.objects.filter(status=PscAccessStatus.PENDING).count() == 2
