"""A fake Pro Santé Connect on loopback, speaking real HTTP, for the tests of the PSC login.

It serves what PSC serves, at PSC's paths: the discovery document at the non-standard
`…/.well-known/wallet-openid-configuration`, an authorization endpoint (it checks the request as PSC would and sends
the browser back with a code and the state), a token endpoint (client authentication by HTTP Basic, the code used once,
the redirect URI and the PKCE S256 verifier checked), the JWKS, a userinfo endpoint (JSON or a signed JWT) and the
end-session endpoint. Its RSA keys are made for each test. Knobs let a test make it misbehave (a wrong nonce, a weak
acr, a userinfo signed by another key…).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.loopback import LoopbackHandler, LoopbackServer

REALM = "/auth/realms/esante-wallet"
DISCOVERY_PATH = f"{REALM}/.well-known/wallet-openid-configuration"
AUTHORIZE_PATH = "/auth"  # PSC's authorization endpoint sits on another host, at /auth
TOKEN_PATH = f"{REALM}/protocol/openid-connect/token"
USERINFO_PATH = f"{REALM}/protocol/openid-connect/userinfo"
JWKS_PATH = f"{REALM}/protocol/openid-connect/certs"
LOGOUT_PATH = f"{REALM}/protocol/openid-connect/logout"
MISSING = object()


@dataclass
class Professional:
    """Who logs in at the fake PSC (invented: RPPS 810000000xx)."""

    rpps: str = "81000000012"
    given_name: str = "CAMILLE"
    family_name: str = "ESSAI-PSC"
    profession_code: str = "10"

    @property
    def subject_name_id(self) -> str:
        return "8" + self.rpps


@dataclass
class FakePsc:
    client_id: str = "aiguillage-test"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    professional: Professional = field(default_factory=Professional)
    # Misbehaviours, set by a test.
    acr: Any = "eidas1"  # MISSING: no acr claim at all
    nonce_override: str | None = None
    userinfo_mode: str = "json"  # "json", "jwt", "jwt_other_key", "json_other_sub"
    id_token_other_key: bool = False
    id_token_audience: str | None = None
    discovery_issuer: str | None = None
    break_pkce: bool = False  # the code is bound to another challenge than the one the client sent
    # What happened, for the assertions.
    authorization_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    token_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "psc-test-1", "use": "sig", "alg": "RS256"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "psc-test-1", "use": "sig", "alg": "RS256"})
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.server = LoopbackServer(PscHandler, self)

    # Addresses
    @property
    def base(self) -> str:
        return self.server.url

    @property
    def issuer(self) -> str:
        return self.base + REALM

    @property
    def discovery_url(self) -> str:
        return self.base + DISCOVERY_PATH

    def start(self) -> FakePsc:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    # Documents
    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.discovery_issuer or self.issuer,
            "authorization_endpoint": self.base + AUTHORIZE_PATH,
            "token_endpoint": self.base + TOKEN_PATH,
            "userinfo_endpoint": self.base + USERINFO_PATH,
            "jwks_uri": self.base + JWKS_PATH,
            "end_session_endpoint": self.base + LOGOUT_PATH,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": ["eidas1", "eidas3"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "scopes_supported": ["openid", "scope_all"],
        }

    def jwks(self) -> dict[str, Any]:
        return dict(KeySet([self.key]).as_dict(private=False))

    def subject(self) -> str:
        return f"f:psc-test:{self.professional.rpps}"

    def sign(self, claims: dict[str, Any], *, other_key: bool = False) -> str:
        key = self.other_key if other_key else self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)

    def id_token(self, grant: dict[str, Any], access_token: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.subject(),
            "aud": self.id_token_audience or self.client_id,
            "azp": self.client_id,
            "exp": now + 120,
            "iat": now,
            "auth_time": now,
            "nonce": self.nonce_override if self.nonce_override is not None else grant["nonce"],
            "SubjectNameID": self.professional.subject_name_id,
            "preferred_username": self.professional.subject_name_id,
        }
        if self.acr is not MISSING:
            claims["acr"] = self.acr
        return self.sign(claims, other_key=self.id_token_other_key)

    def userinfo(self) -> dict[str, Any]:
        pro = self.professional
        return {
            "sub": self.subject() if self.userinfo_mode != "json_other_sub" else "f:psc-test:someone-else",
            "SubjectNameID": pro.subject_name_id,
            "preferred_username": pro.subject_name_id,
            "given_name": pro.given_name,
            "family_name": pro.family_name,
            "SubjectRefPro": {
                "codeCivilite": "DR",
                "exercices": [{"codeProfession": pro.profession_code, "codeCategorieProfessionnelle": "C"}],
            },
        }


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class PscHandler(LoopbackHandler):
    """Answers for the FakePsc it serves (`self.fake`)."""

    def do_GET(self) -> None:
        fake = self.fake
        url = urlsplit(self.path)
        fake.paths.append(url.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == DISCOVERY_PATH:
            self.send_json(200, fake.discovery())
        elif url.path == JWKS_PATH:
            self.send_json(200, fake.jwks())
        elif url.path == AUTHORIZE_PATH:
            self._authorize(query)
        elif url.path == USERINFO_PATH:
            self._userinfo()
        elif url.path == LOGOUT_PATH:
            self.send_body(200, b"logged out", "text/plain")
        else:
            self.send_json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        fake = self.fake
        url = urlsplit(self.path)
        fake.paths.append(url.path)
        if url.path != TOKEN_PATH:
            self.send_json(404, {"error": "not_found"})
            return
        form = {k: v[0] for k, v in parse_qs(self.read_body().decode()).items()}
        fake.token_requests.append(form)
        self._token(form)

    def _authorize(self, query: dict[str, str]) -> None:
        fake = self.fake
        fake.authorization_requests.append(query)
        required = ("client_id", "redirect_uri", "state", "nonce", "code_challenge")
        problems = [name for name in required if not query.get(name)]
        if query.get("response_type") != "code" or query.get("client_id") != fake.client_id:
            problems.append("response_type or client_id")
        if set(query.get("scope", "").split()) != {"openid", "scope_all"}:
            problems.append("scope")
        if query.get("acr_values") != "eidas1" or query.get("code_challenge_method") != "S256":
            problems.append("acr_values or code_challenge_method")
        if problems:
            self.send_json(400, {"error": "invalid_request", "error_description": ", ".join(problems)})
            return
        code = secrets.token_urlsafe(24)
        challenge = _s256("not-the-verifier") if fake.break_pkce else query["code_challenge"]
        with fake.lock:
            fake.codes[code] = {
                "redirect_uri": query["redirect_uri"],
                "nonce": query["nonce"],
                "challenge": challenge,
            }
        back = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        self.send_body(302, b"", "text/plain", Location=back)

    def _refuse(self, reason: str, status: int = 400, error: str = "invalid_grant") -> None:
        fake = self.fake
        fake.token_errors.append(reason)
        self.send_json(status, {"error": error, "error_description": reason})

    def _token(self, form: dict[str, str]) -> None:
        fake = self.fake
        expected = base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected}":
            self._refuse("client authentication failed", status=401, error="invalid_client")
            return
        if form.get("grant_type") != "authorization_code":
            self._refuse("grant_type", error="unsupported_grant_type")
            return
        with fake.lock:
            grant = fake.codes.pop(form.get("code", ""), None)
        if grant is None:
            self._refuse("unknown or used code")
            return
        if form.get("redirect_uri") != grant["redirect_uri"]:
            self._refuse("redirect_uri")
            return
        if _s256(form.get("code_verifier", "")) != grant["challenge"]:
            self._refuse("PKCE verification failed")
            return
        access_token = secrets.token_urlsafe(24)
        with fake.lock:
            fake.access_tokens[access_token] = grant
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 120,
            "id_token": fake.id_token(grant, access_token),
            "scope": "openid scope_all",
        }
        self.send_json(200, body, **{"Cache-Control": "no-store"})

    def _userinfo(self) -> None:
        fake = self.fake
        header = self.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        if not header.startswith("Bearer ") or token not in fake.access_tokens:
            self.send_json(401, {"error": "invalid_token"}, **{"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return
        info = fake.userinfo()
        if fake.userinfo_mode in ("jwt", "jwt_other_key"):
            signed = fake.sign(
                info | {"iss": fake.issuer, "aud": fake.client_id}, other_key=fake.userinfo_mode == "jwt_other_key"
            )
            self.send_body(200, signed.encode(), "application/jwt")
        else:
            self.send_json(200, info)
