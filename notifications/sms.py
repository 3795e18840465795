"""SMS: length in segments (GSM 03.38 or UCS-2), a text kept within two segments, and the providers.

The provider is chosen by a setting (`AIGUILLAGE_SMS_BACKEND`): "console" writes the SMS to the log (demo,
development); "brevo" sends through Brevo's transactional SMS HTTP API (a French provider). A failed send is turned
into one of three errors: temporary (it surely did not leave: tried again later), outcome unknown (it may have left:
the provider is asked by its tag before it is tried again), or permanent (never tried again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

from common import outbound

logger = logging.getLogger(__name__)

# GSM 03.38: the basic set (one unit each) and the extension set (two units: escape + character).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
MAX_SEGMENTS = 2


def _units(text: str) -> tuple[int, bool]:
    """Length in GSM units, and whether GSM 03.38 can carry the text at all (else UCS-2)."""
    units = 0
    for char in text:
        if char in GSM_BASIC:
            units += 1
        elif char in GSM_EXTENSION:
            units += 2
        else:
            return len(text.encode("utf-16-le")) // 2, False
    return units, True


def segments(text: str) -> int:
    """How many SMS the text takes: 160 / 153 GSM units a part, or 70 / 67 UCS-2 characters."""
    units, gsm = _units(text)
    single, part = (160, 153) if gsm else (70, 67)
    return 1 if units <= single else -(-units // part)


def within_segments(text: str, limit: int = MAX_SEGMENTS, reserve: str = "") -> str:
    """The text, shortened with an ellipsis if, followed by a space and `reserve` (a link that must stay whole), it
    would take more than `limit` segments."""
    tail = f" {reserve}" if reserve else ""
    if segments(text + tail) <= limit:
        return text
    while text and segments(text.rstrip() + "…" + tail) > limit:
        text = text[:-1]
    return text.rstrip() + "…"


class SmsTemporaryError(Exception):
    """The provider could not take it now (unreachable, overloaded, account to fix): try again later."""


class SmsOutcomeUnknown(SmsTemporaryError):
    """The request reached the provider but its answer did not come back whole (it came after the timeout, the
    connection dropped, a 500, or a gateway's 502 / 504 in its place): the provider may have taken the SMS. Before it
    is tried again, the provider is asked by its tag (`sms_sent_with`)."""


class SmsPermanentError(Exception):
    """The provider refused this SMS for good (an invalid number, a refused content): never try again."""


@dataclass(frozen=True)
class SmsReceipt:
    provider_id: str


def send_sms(*, to: str, text: str, reference: str) -> SmsReceipt:
    """Send one SMS with the configured provider; `reference` tags it at the provider (one per message)."""
    backend = settings.AIGUILLAGE_SMS_BACKEND
    if backend == "console":
        logger.info("SMS to %s (%s segment(s)): %s", to, segments(text), text)
        return SmsReceipt(provider_id=f"console-{reference}")
    if backend == "brevo":
        return _send_brevo(to=to, text=text, reference=reference)
    raise SmsPermanentError(f"unknown SMS backend {backend!r}")


def sms_sent_with(*, to: str, reference: str) -> str | None:
    """The provider's id of an SMS it took with this reference, or None if it has none: asked before sending again a
    message whose last try's outcome is unknown (no answer, or its sender died mid-send), so that the patient never
    gets it twice. Raises SmsTemporaryError when the provider cannot say."""
    backend = settings.AIGUILLAGE_SMS_BACKEND
    if backend == "brevo":
        return _brevo_sent_with(to=to, reference=reference)
    return None  # the console keeps no record: the log shows what was written


def _brevo_call(path: str, *, data: dict[str, object] | None = None, params: dict[str, str] | None = None) -> object:
    """One call to Brevo's API; its answer as JSON. A 400 is permanent. What fails before the request leaves (no
    address, refused, TLS) is temporary; what fails after it (no answer in time, the connection dropped, an answer cut
    off or not JSON, a 500 / 502 / 504 that may hide a request handled) is of unknown outcome."""
    base = settings.AIGUILLAGE_SMS_API_URL.rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise SmsPermanentError(f"AIGUILLAGE_SMS_API_URL must be an http(s) address, not {base!r}")
    brevo = outbound.Service(purpose="SMS", timeout=settings.AIGUILLAGE_SMS_TIMEOUT)
    headers = {"api-key": settings.AIGUILLAGE_SMS_API_KEY}
    try:
        if data is None:
            answer = brevo.call("GET", base + path, params=params, headers=headers)
        else:
            answer = brevo.send_json("POST", base + path, data, headers=headers)
        return answer.json() if answer.body else {}
    except outbound.Refused as error:
        detail = f"{error.status} {error.excerpt[:300]}"
        if error.status == 400:  # an invalid number or content: the same request would fail again
            raise SmsPermanentError(detail) from error
        if error.status in (500, 502, 504):  # failed while (or after) handling it, or a gateway lost Brevo's answer
            raise SmsOutcomeUnknown(detail) from error
        raise SmsTemporaryError(detail) from error
    except outbound.Unreachable as error:
        if not error.request_sent:  # Brevo cannot have taken it
            raise SmsTemporaryError(str(error)) from error
        raise SmsOutcomeUnknown(str(error)) from error
    except outbound.BadAnswer as error:  # the request was taken in, the answer is not one
        raise SmsOutcomeUnknown(str(error)) from error


def _brevo_sent_with(*, to: str, reference: str) -> str | None:
    # Every SMS Brevo took leaves events (sent, accepted, delivered…) carrying the tag it was sent with.
    query = {"tags": reference, "phoneNumber": to.lstrip("+"), "days": "7", "limit": "10"}
    try:
        payload = _brevo_call("/v3/transactionalSMS/statistics/events", params=query)
    except SmsPermanentError as error:
        raise SmsTemporaryError(str(error)) from error  # the question was refused: we still do not know
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        raise SmsTemporaryError(f"no events in the answer: {str(payload)[:200]}")
    for event in events:
        if isinstance(event, dict) and event.get("tag") in (reference, [reference]) and event.get("messageId"):
            return str(event["messageId"])
    return None


def _send_brevo(*, to: str, text: str, reference: str) -> SmsReceipt:
    _units_count, gsm = _units(text)
    body = {
        "sender": settings.AIGUILLAGE_SMS_SENDER,
        "recipient": to.lstrip("+"),
        "content": text,
        "type": "transactional",
        "tag": [reference],
        "unicodeEnabled": not gsm,
    }
    payload = _brevo_call("/v3/transactionalSMS/send", data=body)
    message_id = payload.get("messageId") if isinstance(payload, dict) else None
    if message_id is None:  # a success without its id: Brevo may well have taken it
        raise SmsOutcomeUnknown(f"no messageId in the answer: {str(payload)[:200]}")
    return SmsReceipt(provider_id=str(message_id))
