"""Calls from Aiguillage to other services over HTTP (the SMS provider, the SAS platform, the BAN): one client, on
`requests`, so that every call is made the same way.

Every call:
- waits at most `timeout` seconds to connect and `timeout` seconds for each read (the caller's setting, such as
  AIGUILLAGE_SMS_TIMEOUT): never forever;
- verifies the other side's TLS certificate, always: against the default bundle (certifi, or REQUESTS_CA_BUNDLE when
  the environment sets it) or against the file the caller names (AIGUILLAGE_SAS_CA_BUNDLE); it may present a client
  certificate;
- says who calls in its User-Agent: "Aiguillage (<purpose>)";
- follows no redirect unless the caller asks (a redirect would carry an API key to another address);
- reads at most `max_bytes` of the answer;
- has a session and a connection of its own, closed after it, and is never tried again behind the caller's back
  (urllib3's retries stay off): a POST never leaves twice, and never over a kept connection the other side may have
  closed meanwhile. The callers decide what to try again (the SMS outbox, the SAS push's attempts).

A failure is one of four errors. Their message names the host and what went wrong, never the path, the query, the
headers or what was sent (a phone number, an address, an API key), so that it can be logged and stored; the value of
a secret header that the other side writes back in an error page is blanked out.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

MAX_ANSWER_BYTES = 1_000_000
EXCERPT_CHARS = 400
SECRET_HEADERS = frozenset({"api-key", "x-api-key", "authorization", "proxy-authorization", "cookie"})


class OutboundError(Exception):
    """A call to another service failed. The message is safe to log and to store: no path, query, header or body."""


class Unreachable(OutboundError):
    """No whole answer came back. `request_sent` says whether the other side may have acted on the request: False
    when the call failed before the request could leave (address not found, connection refused, TLS refused, no
    connection in time); True when it left and its answer was lost (the connection dropped, the answer was cut off or
    came after the timeout)."""

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class TimedOut(Unreachable):
    """No connection, or no answer, within the timeout."""


class Refused(OutboundError):
    """The other side answered with a status other than 2xx (a redirect not followed, a 4xx, a 5xx); `excerpt` is the
    beginning of its answer, secrets blanked out."""

    def __init__(self, status: int, excerpt: str) -> None:
        super().__init__(f"HTTP {status}: {excerpt}" if excerpt else f"HTTP {status}")
        self.status = status
        self.excerpt = excerpt


class BadAnswer(OutboundError):
    """A 2xx whose body is not what was asked for: not JSON, or larger than the limit."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    where: str = ""  # the host that answered, for messages

    def json(self) -> Any:
        """The body as JSON; BadAnswer when it is not."""
        try:
            return json.loads(self.body)
        except ValueError as error:  # UnicodeDecodeError is a ValueError too
            raise BadAnswer(f"{self.where}: the answer is not JSON ({type(error).__name__})") from error


@dataclass(frozen=True)
class Service:
    """Another service, as the settings describe it; each method is one call."""

    purpose: str  # in the User-Agent: "BAN geocoding", "SMS", "SAS appointments"
    timeout: float  # seconds, to connect and for each read
    ca_bundle: str = ""  # a file of CA certificates to trust instead of the default bundle
    client_cert: str = ""  # a client certificate (PEM) to present, and its key when it is in another file
    client_key: str = ""
    max_bytes: int = MAX_ANSWER_BYTES
    follow_redirects: bool = False

    @property
    def user_agent(self) -> str:
        return f"Aiguillage ({self.purpose})"

    def verify(self) -> str | bool:
        """What requests checks the certificate against: a file, or True for the default bundle. Never False."""
        return self.ca_bundle or True

    def cert(self) -> str | tuple[str, str] | None:
        if not self.client_cert:
            return None
        return (self.client_cert, self.client_key) if self.client_key else self.client_cert

    def get_json(
        self, url: str, *, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
    ) -> Any:
        """GET, and the answer as JSON."""
        return self.call("GET", url, params=params, headers=headers).json()

    def send_json(
        self,
        method: str,
        url: str,
        data: Any,
        *,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
        read_answer: bool = True,
    ) -> Answer:
        """POST or PUT `data` as JSON (`content_type` may name a flavour of it, such as application/fhir+json, which
        is then also the Accept header unless `headers` says otherwise)."""
        headers = {"Accept": content_type, **(headers or {}), "Content-Type": content_type}
        return self.call(method, url, body=json.dumps(data).encode(), headers=headers, read_answer=read_answer)

    def call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        read_answer: bool = True,
    ) -> Answer:
        """One call. Its answer when the status is 2xx (its body left unread when `read_answer` is False: the status
        is all the caller needs); else Refused, Unreachable (TimedOut) or BadAnswer."""
        all_headers = {"Accept": "application/json", **(headers or {}), "User-Agent": self.user_agent}
        secrets = [value for name, value in all_headers.items() if name.lower() in SECRET_HEADERS and value]
        where = _host(url)
        with requests.Session() as session:
            try:
                response = session.request(
                    method,
                    url,
                    params=params,
                    data=body,
                    headers=all_headers,
                    timeout=(self.timeout, self.timeout),
                    verify=self.verify(),  # given to each call: a session's own is overridden by REQUESTS_CA_BUNDLE
                    cert=self.cert(),
                    allow_redirects=self.follow_redirects,
                    stream=True,
                )
            except requests.RequestException as error:
                raise _failure(error, where, self.timeout, answered=False) from error
            except urllib3.exceptions.HTTPError as error:  # what requests lets through unwrapped
                raise Unreachable(f"{where}: {type(error).__name__}", request_sent=True) from error
            except OSError as error:  # raised before sending: a certificate or CA file that cannot be read
                raise Unreachable(f"{where}: {type(error).__name__} before sending", request_sent=False) from error
            with response:
                success = 200 <= response.status_code < 300
                if success and not read_answer:
                    return Answer(response.status_code, b"", dict(response.headers), where)
                try:
                    content = _read(response, self.max_bytes)
                except requests.RequestException as error:
                    if not success:  # the status is the answer; its text is only a detail
                        raise Refused(response.status_code, "") from error
                    raise _failure(error, where, self.timeout, answered=True) from error
        if not success:
            # Blanked before it is cut: a secret across the cut would otherwise leave its first half.
            raise Refused(response.status_code, _blank(content.decode(errors="replace"), secrets)[:EXCERPT_CHARS])
        if len(content) > self.max_bytes:
            raise BadAnswer(f"{where}: an answer larger than {self.max_bytes} bytes")
        return Answer(response.status_code, content, dict(response.headers), where)


def _read(response: requests.Response, limit: int) -> bytes:
    """At most `limit` + 1 bytes of the body (one more tells that it was longer)."""
    content = bytearray()
    for chunk in response.iter_content(chunk_size=65536):
        content += chunk
        if len(content) > limit:
            break
    return bytes(content[: limit + 1])


def _host(url: str) -> str:
    """The host and port of the address: what a message may name (no user, password, path or query)."""
    try:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname or "?")
    except ValueError:
        return "?"


def _blank(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what it wraps: urllib3 keeps the cause in `reason` or in its arguments, Python in __cause__."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [error]
    while todo and len(seen) < 20:
        current = todo.pop(0)
        if any(current is known for known in seen):
            continue
        seen.append(current)
        reason = getattr(current, "reason", None)
        nested = [reason] if isinstance(reason, BaseException) else []
        nested += [arg for arg in current.args if isinstance(arg, BaseException)]
        nested += [e for e in (current.__cause__, current.__context__) if e is not None]
        todo.extend(nested)
    return seen


def _failure(error: requests.RequestException, where: str, timeout: float, *, answered: bool) -> OutboundError:
    """What failed, in words that hold no part of the request. `answered`: the status line had come."""
    causes = _causes(error)
    if isinstance(error, requests.ConnectTimeout):
        return TimedOut(f"{where}: no connection within {timeout:g} s", request_sent=False)
    if isinstance(error, requests.ReadTimeout) or any(
        isinstance(c, urllib3.exceptions.ReadTimeoutError) for c in causes
    ):
        return TimedOut(f"{where}: no answer within {timeout:g} s", request_sent=True)
    if answered or isinstance(
        error, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return Unreachable(f"{where}: the answer was cut off", request_sent=True)
    if isinstance(error, requests.exceptions.SSLError):
        reason = next((c.reason for c in causes if isinstance(c, ssl.SSLError) and c.reason), "")
        return Unreachable(f"{where}: TLS failed ({reason or 'handshake'})", request_sent=False)
    if isinstance(error, requests.exceptions.ProxyError):
        return Unreachable(f"{where}: the proxy could not be used", request_sent=False)
    if isinstance(error, requests.ConnectionError):
        if any(isinstance(c, urllib3.exceptions.ProtocolError) for c in causes):
            # The connection was open and the request on its way (or sent) when it was lost.
            return Unreachable(f"{where}: the connection closed before the whole answer", request_sent=True)
        if any(isinstance(c, urllib3.exceptions.NameResolutionError) for c in causes):
            return Unreachable(f"{where}: address not found", request_sent=False)
        if any(isinstance(c, ConnectionRefusedError) for c in causes):
            return Unreachable(f"{where}: connection refused", request_sent=False)
        return Unreachable(f"{where}: could not connect", request_sent=False)
    return Unreachable(f"{where}: {type(error).__name__}", request_sent=False)  # an address requests cannot use
