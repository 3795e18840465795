"""A fake Brevo transactional SMS API on loopback, speaking its protocol, for the tests of SMS delivery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from django.test import override_settings

from tests.loopback import LoopbackHandler, serving


class BrevoHandler(LoopbackHandler):
    """Answers for the FakeBrevo it serves (`self.fake`)."""

    def do_POST(self) -> None:
        fake = self.fake
        body = json.loads(self.read_body())
        status = fake.answers.pop(0) if fake.answers else 201
        if self.path != "/v3/transactionalSMS/send":
            status = 404
        fake.keys.append(self.headers.get("api-key", ""))
        if status == 201:
            payload: dict[str, Any] = {"messageId": fake._take(body)}
        elif status == 400:
            payload = {"code": "invalid_parameter", "message": "Invalid phone number"}
        else:
            payload = {"code": "internal_error", "message": "Try again later"}
        if self.answer_lost():
            return
        self.send_json(status, payload)

    def do_GET(self) -> None:
        fake = self.fake
        url = urlsplit(self.path)
        if url.path != "/v3/transactionalSMS/statistics/events":
            self.send_json(404, {"code": "not_found"})
            return
        query = parse_qs(url.query)
        fake.event_queries.append(query)
        status = fake.event_answers.pop(0) if fake.event_answers else 200
        if status != 200:
            self.send_json(status, {"code": "internal_error", "message": "Try again later"})
            return
        found = [
            event
            for event in fake.events
            if event["tag"] in query.get("tags", []) and event["phoneNumber"] in query.get("phoneNumber", [])
        ]
        self.send_json(200, {"events": found})


class FakeBrevo:
    """Brevo's transactional SMS API. POST /v3/transactionalSMS/send answers the statuses in `answers` in turn (else
    201, the SMS taken); an SMS taken leaves its events, which GET /v3/transactionalSMS/statistics/events?tags=… finds
    (answering the statuses in `event_answers` in turn, else 200). `late` takes the next SMS and answers only that
    many seconds later; `drop` takes the next SMS and writes only those bytes of an answer before closing the
    connection."""

    handler: type[BrevoHandler] = BrevoHandler

    def __init__(self) -> None:
        self.url = ""  # while running
        self.received: list[dict[str, Any]] = []
        self.keys: list[str] = []
        self.answers: list[int] = []
        self.events: list[dict[str, Any]] = []
        self.event_queries: list[dict[str, list[str]]] = []
        self.event_answers: list[int] = []
        self.late = 0.0
        self.drop: bytes | None = None

    def _take(self, body: dict[str, Any]) -> int:
        self.received.append(body)
        message_id = 1511882900176220 + len(self.received)
        for event in ("sent", "accepted"):
            self.events.append(
                {"phoneNumber": body["recipient"], "messageId": message_id, "event": event, "tag": body["tag"][0]}
            )
        return message_id


Brevo = TypeVar("Brevo", bound=FakeBrevo)


@contextmanager
def brevo_on(fake: Brevo) -> Iterator[Brevo]:
    """`fake` served on loopback, and the SMS sent through it (API key "test-key") while in the block."""
    with (
        serving(fake.handler, fake) as fake.url,
        override_settings(
            AIGUILLAGE_SMS_BACKEND="brevo", AIGUILLAGE_SMS_API_URL=fake.url, AIGUILLAGE_SMS_API_KEY="test-key"
        ),
    ):
        yield fake
