"""Pro Santé Connect (PSC): the OpenID Connect client that logs health professionals in with their CPS card or e-CPS.

Authlib speaks the protocol (authorization code with PKCE S256, `state` and `nonce` kept in the Django session, the
ID token's signature checked against the provider's JWKS, its issuer, audience, expiry and nonce). This module adds
what PSC asks for and what Aiguillage needs:

- the discovery document at PSC's non-standard path (`.well-known/wallet-openid-configuration`), from the setting
  AIGUILLAGE_PSC_DISCOVERY_URL, kept for an hour per process;
- `scope=openid scope_all` and `acr_values=eidas1`; the ID token's `acr` must come back as `eidas1` or `eidas3`;
- the userinfo answer as JSON or as a signed JWT (`application/jwt`, checked against the same JWKS), whose `sub` must
  be the ID token's;
- `SubjectNameID` = `8` + RPPS (11 digits), the professional's national identifier, turned into the RPPS.

Every refusal is a `PscError` with a reason for the access log and a message for the professional.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.django_client.apps import DjangoOAuth2App
from authlib.integrations.django_client.integration import DjangoIntegration
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from common import outbound

NAME = "psc"
SCOPE = "openid scope_all"
REQUESTED_ACR = "eidas1"
# eidas1: CPS card or e-CPS app ("substantial"); eidas3 is the higher level some cards give. Anything else (eidas2 is
# not issued by PSC, a missing acr) is not the strong authentication that replaces Aiguillage's own second factor.
ACCEPTED_ACR = ("eidas1", "eidas3")
# Asymmetric signatures only: a symmetric (HS*) token signed with the client secret proves nothing about PSC.
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
METADATA_SECONDS = 3600
CLOCK_LEEWAY = 60
SUBJECT_NAME_ID = re.compile(r"^8(\d{11})$")

PROVIDER_REFUSED = _("Pro Santé Connect did not confirm your identity (login cancelled or refused). Try again.")
SESSION_MISMATCH = _(
    "This answer of Pro Santé Connect does not belong to this browser's login (it may have expired, or the login was "
    "started in another window). Start again from the login page."
)
INVALID_ANSWER = _(
    "The answer of Pro Santé Connect could not be verified, so nobody was logged in. Try again; if it happens again, "
    "tell your cell."
)
WEAK_LEVEL = _(
    "This login was not made with a CPS card or the e-CPS app, the level Aiguillage requires: nobody was logged in."
)
UNAVAILABLE = _(
    "Pro Santé Connect cannot be reached at the moment: try again in a few minutes, or log in with your username."
)
NO_RPPS = _("Pro Santé Connect gave no RPPS number for this account: Aiguillage cannot tell who you are.")


class PscError(Exception):
    """A refused login: `reason` goes to the access log (never shown), `message` to the professional."""

    def __init__(self, reason: str, message: str | StrPromise) -> None:
        super().__init__(reason)
        self.reason = reason[:200]
        self.message = message


@dataclass(frozen=True)
class PscIdentity:
    rpps: str
    given_name: str
    family_name: str
    profession_code: str
    subject: str
    acr: str
    id_token: str  # kept in the session for the logout at PSC (id_token_hint)


def enabled() -> bool:
    return bool(settings.AIGUILLAGE_PSC_CLIENT_ID and settings.AIGUILLAGE_PSC_DISCOVERY_URL)


def redirect_uri() -> str:
    """The address PSC sends the browser back to: the one registered with the ANS."""
    return str(settings.AIGUILLAGE_BASE_URL).rstrip("/") + reverse("accounts:psc_callback")


_metadata_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_metadata_lock = threading.Lock()


def metadata() -> dict[str, Any]:
    """The provider's discovery document, fetched at most once an hour per process."""
    url = str(settings.AIGUILLAGE_PSC_DISCOVERY_URL)
    with _metadata_lock:
        cached = _metadata_cache.get(url)
        if cached is not None and time.monotonic() - cached[0] < METADATA_SECONDS:
            return dict(cached[1])
    try:
        psc = outbound.Service(purpose="Pro Santé Connect", timeout=settings.AIGUILLAGE_PSC_TIMEOUT)
        document = psc.get_json(url, headers={"Accept": "application/json"})
    except outbound.OutboundError as error:
        raise PscError(f"discovery: {type(error).__name__}", UNAVAILABLE) from error
    required = ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
    if not isinstance(document, dict) or not all(isinstance(document.get(key), str) for key in required):
        raise PscError("discovery: incomplete document", UNAVAILABLE)
    # The document must come from its issuer (PSC's path is not the standard one, but it sits under the issuer): a
    # document that names another issuer would let that issuer's tokens in.
    if not url.startswith(document["issuer"].rstrip("/") + "/"):
        raise PscError("discovery: issuer does not match the discovery address", UNAVAILABLE)
    with _metadata_lock:
        _metadata_cache[url] = (time.monotonic(), document)
    return dict(document)


def forget_metadata() -> None:
    """Tests: the next call fetches the discovery document again."""
    with _metadata_lock:
        _metadata_cache.clear()


def _client(document: dict[str, Any]) -> DjangoOAuth2App:
    document = {key: value for key, value in document.items() if key != "jwks"}
    return DjangoOAuth2App(
        DjangoIntegration(NAME),
        name=NAME,
        client_id=settings.AIGUILLAGE_PSC_CLIENT_ID,
        client_secret=settings.AIGUILLAGE_PSC_CLIENT_SECRET,
        client_kwargs={
            "scope": SCOPE,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic",
            "default_timeout": settings.AIGUILLAGE_PSC_TIMEOUT,
        },
        **document,
    )


def authorization_redirect(request: HttpRequest) -> HttpResponse:
    """The redirection to PSC's authorization endpoint. Authlib keeps the state, the nonce and the PKCE verifier in
    this session, under the state's name: the answer is accepted in this session only, once."""
    client = _client(metadata())
    response: HttpResponse = client.authorize_redirect(request, redirect_uri(), acr_values=REQUESTED_ACR)
    return response


def identity_from_callback(request: HttpRequest) -> PscIdentity:
    """Checks PSC's answer at the redirect URI and returns who logged in, or raises `PscError`."""
    error = request.GET.get("error")
    if error:
        raise PscError(f"provider: {error}", PROVIDER_REFUSED)
    document = metadata()
    client = _client(document)
    claims_options = {
        "iss": {"essential": True, "value": document["issuer"]},
        "aud": {"essential": True, "value": settings.AIGUILLAGE_PSC_CLIENT_ID},
    }
    try:
        token = client.authorize_access_token(request, claims_options=claims_options, leeway=CLOCK_LEEWAY)
    except MismatchingStateError as refused:
        raise PscError("state: unknown or already used", SESSION_MISMATCH) from refused
    except requests.RequestException as failed:
        raise PscError(f"token: {type(failed).__name__}", UNAVAILABLE) from failed
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as refused:
        raise PscError(f"token: {type(refused).__name__} {refused}", INVALID_ANSWER) from refused
    id_claims = token.get("userinfo")
    if not id_claims:
        raise PscError("token: no ID token", INVALID_ANSWER)
    acr = id_claims.get("acr")
    if acr not in ACCEPTED_ACR:
        raise PscError(f"acr: {acr!r}", WEAK_LEVEL)
    info = _userinfo(client, document, token)
    if info.get("sub") != id_claims.get("sub"):
        raise PscError("userinfo: sub differs from the ID token's", INVALID_ANSWER)
    subject_name_id = str(info.get("SubjectNameID") or id_claims.get("SubjectNameID") or "")
    match = SUBJECT_NAME_ID.match(subject_name_id)
    if match is None:
        raise PscError(f"SubjectNameID: {subject_name_id[:1]}… is not 8 + RPPS", NO_RPPS)
    return PscIdentity(
        rpps=match.group(1),
        given_name=str(info.get("given_name") or "")[:100],
        family_name=str(info.get("family_name") or "")[:100],
        profession_code=_profession_code(info),
        subject=str(id_claims["sub"]),
        acr=str(acr),
        id_token=str(token["id_token"]),
    )


def _userinfo(client: DjangoOAuth2App, document: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
    """PSC's userinfo endpoint answers JSON, or a JWT signed with the keys of its JWKS (`application/jwt`)."""
    try:
        response = client.get(document["userinfo_endpoint"], token=token)
        response.raise_for_status()
    except requests.RequestException as failed:
        raise PscError(f"userinfo: {type(failed).__name__}", UNAVAILABLE) from failed
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if kind == "application/jwt":
        return _verified_jwt(client, document, response.text.strip())
    try:
        info = response.json()
    except ValueError as refused:
        raise PscError("userinfo: not JSON", INVALID_ANSWER) from refused
    if not isinstance(info, dict):
        raise PscError("userinfo: not an object", INVALID_ANSWER)
    return info


def _verified_jwt(client: DjangoOAuth2App, document: dict[str, Any], value: str) -> dict[str, Any]:
    try:
        keys = KeySet.import_key_set(client.fetch_jwk_set())
        decoded = jwt.decode(value, keys, algorithms=SIGNING_ALGORITHMS)
        # A signed userinfo names its issuer and audience when it carries them: they must be PSC's and ours.
        jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY,
            iss={"value": document["issuer"]},
            aud={"value": settings.AIGUILLAGE_PSC_CLIENT_ID},
        ).validate(decoded.claims)
    except requests.RequestException as failed:
        raise PscError(f"userinfo jwks: {type(failed).__name__}", UNAVAILABLE) from failed
    except (JoseError, ValueError) as refused:
        raise PscError(f"userinfo: {type(refused).__name__} {refused}", INVALID_ANSWER) from refused
    return dict(decoded.claims)


def _profession_code(info: dict[str, Any]) -> str:
    """The profession of the first practice (`SubjectRefPro.exercices[0].codeProfession`), when PSC gives it."""
    reference = info.get("SubjectRefPro")
    practices = reference.get("exercices") if isinstance(reference, dict) else None
    if isinstance(practices, list) and practices and isinstance(practices[0], dict):
        return str(practices[0].get("codeProfession") or "")[:10]
    return ""


def end_session_url(*, id_token: str, post_logout_redirect_uri: str) -> str | None:
    """PSC's logout address for this session (RP-initiated logout), or None when PSC does not publish one."""
    try:
        endpoint = metadata().get("end_session_endpoint")
    except PscError:
        return None
    if not isinstance(endpoint, str) or not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "client_id": settings.AIGUILLAGE_PSC_CLIENT_ID,
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
