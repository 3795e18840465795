"""The load of a region's peak hour, as Locust users (run by `python -m bench.load`, one Locust run per rate step).

Three kinds of users, each at a fixed pace (the runner sets how many of each in the configuration file named by
AIGUILLAGE_LOAD_CONFIG):
- a journey: one request from intake to booking, 13 calls. A requester sends it (half through the JSON API with their
  organisation's token, half through the web form), a coordinator of the cell opens it, takes it, logs a callback,
  qualifies it, looks at the slot finder, books one of the first slots it offers, each button followed by the page
  it leads back to, as a browser does; the requester then looks at what became of it;
- a coordinator's queue page, opened once, then polling its rows as its htmx poll does (same address, filters and
  headers, the version of the rows shown sent back: a 204 "nothing changed" is a success, as a 304 would be);
- the SAS platform: FHIR Slot searches for 25 practitioners of a cell over 3 days, with the client certificate's
  subject in the headers nginx sets after checking it.

Every call goes as through nginx: X-Forwarded-Proto https, X-Real-IP, the Origin of the site for the forms. Sessions
were opened server-side by the runner (the coordinators' second factor marked verified, as the test suite does).
At the end each Locust process writes what it was told was created (request ids, confirmed bookings) to
AIGUILLAGE_LOAD_RESULTS, for the runner's lost-write check.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
import uuid
from http.cookiejar import Cookie, DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

from locust import FastHttpUser, events, task
from locust.contrib.fasthttp import FastHttpSession

CONFIG: dict[str, Any] = {}
if os.environ.get("AIGUILLAGE_LOAD_CONFIG"):
    with open(os.environ["AIGUILLAGE_LOAD_CONFIG"], encoding="utf-8") as file:
        CONFIG = json.load(file)
MIX: dict[str, Any] = CONFIG.get("mix", {})
CELLS: list[dict[str, Any]] = CONFIG.get("cells", [])
JOURNEY_PACING = float(MIX.get("journey_pacing", 20))
POLL_PACING = float(MIX.get("poll_pacing", 30))
SAS_PACING = float(MIX.get("sas_pacing", 5))

CREATED: list[int] = []  # requests the server answered as created
BOOKED: list[int] = []  # requests whose booking the page confirmed
REFUSED: list[int] = []  # bookings refused (the slot taken meanwhile): the page says so, nothing written
REFRESHES: dict[str, int] = {}  # the queue refreshes' answers by status: 204 is "nothing changed"

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION_KEY = re.compile(r'name="submission_key" value="([^"]*)"')
FORM_ERROR = re.compile(r'<ul class="errorlist[^"]*"[^>]*>.*?</ul>', re.DOTALL)
ROWS_VERSION = re.compile(r'"X-Aiguillage-Version": "([^"]*)"')
REQUEST_PAGE = re.compile(r"/demandes/(\d+)/$")


def _secure_cookie(name: str, value: str, host: str) -> Cookie:
    return Cookie(
        version=0,
        name=name,
        value=value,
        port=None,
        port_specified=False,
        domain=host,
        domain_specified=False,
        domain_initial_dot=False,
        path="/",
        path_specified=True,
        secure=True,
        expires=None,
        discard=True,
        comment=None,
        comment_url=None,
        rest={},
    )


def browser(user: FastHttpUser, session_id: str | None) -> FastHttpSession:
    """A cookie jar of one person: the session cookie the runner made for them, and whatever the server sets (the
    CSRF cookie, the messages shown on the next page). The browser talks HTTPS to nginx, so the server's Secure
    cookies go back over this loopback HTTP."""
    client = FastHttpSession(
        base_url=user.host,
        request_event=user.environment.events.request,
        user=user,
        # FastHttpUser's own (60 s): the library's defaults give up after 5 s, which would count a slow answer, whose
        # write may have happened, as a failure and make the write check fail for the client's sake
        network_timeout=user.network_timeout,
        connection_timeout=user.connection_timeout,
        max_retries=user.max_retries,
        max_redirects=user.max_redirects,
        insecure=user.insecure,
        concurrency=user.concurrency,
    )
    client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("https", "wss", "http")))
    if session_id:
        client.cookiejar.set_cookie(_secure_cookie("sessionid", session_id, urlsplit(str(user.host)).hostname or ""))
    return client


def proxy_headers(user: FastHttpUser, **more: str) -> dict[str, str]:
    origin = "https://" + urlsplit(str(user.host)).netloc
    return {"X-Forwarded-Proto": "https", "X-Real-IP": "127.0.0.1", "Origin": origin, **more}


def call(
    client: FastHttpSession,
    user: FastHttpUser,
    method: str,
    url: str,
    name: str,
    expect: tuple[int, ...],
    **kwargs: Any,
) -> Any:
    """One call, a failure unless its status is one of `expect` (redirects are not followed: the page after a button
    is a call of its own, as in a browser's network panel)."""
    headers = proxy_headers(user, **kwargs.pop("headers", {}))
    with client.request(
        method, url, name=name, headers=headers, allow_redirects=False, catch_response=True, **kwargs
    ) as response:
        if response.status_code in expect:
            response.success()
        else:
            text = response.text or ""
            found = FORM_ERROR.search(text) if response.status_code in (200, 422) else None
            why = f" ({re.sub(r'<[^>]+>', ' ', found.group(0)).strip()[:120]})" if found else ""
            if text.startswith('{"errors"'):  # the API's: each field and why
                why = f" {text[:160]}"
            response.failure(f"HTTP {response.status_code}, expected {expect}{why}")
        return response


DEFERRED_FINDER = re.compile(r'<div id="slot-finder" aria-busy="true" hx-get="([^"]+)" hx-trigger="load"')


def finder_panel(user: Any, owner: Any, page: Any, page_url: str) -> None:
    """What the browser does after a request page that defers its slot finder (hx-trigger="load"): asks for the
    finder's panel alone."""
    deferred = DEFERRED_FINDER.search(page.text or "")
    if deferred is None:
        return
    call(
        user,
        owner,
        "GET",
        deferred.group(1),
        "slot finder (panel on load)",
        (200,),
        headers={"HX-Request": "true", "HX-Target": "slot-finder", "HX-Current-URL": f"{owner.host}{page_url}"},
    )


def csrf(page: Any) -> str:
    found = CSRF_INPUT.search(page.text or "")
    return found.group(1) if found else ""


_numbers = itertools.count()


def mobile() -> str:
    """A French mobile number that phonenumbers takes as valid (not every 06 range is allocated)."""
    return "06 12 " + " ".join(f"{random.randrange(100):02d}" for _ in range(3))


class Paced(FastHttpUser):
    """A user who starts at a random moment of its first interval, then begins an iteration every `pacing` seconds.
    The random start is a wait, not a sleep inside a task: at the end of a step Locust stops a waiting user at once,
    and lets a user in the middle of an iteration finish it (--stop-timeout), so no call is cut halfway (a write whose
    answer the client never read would fail the write check for the client's sake)."""

    abstract = True
    pacing = 1.0

    def on_start(self) -> None:
        self.number = next(_numbers)
        self.offset: float | None = random.uniform(0, self.pacing)
        self.began = time.monotonic()

    def wait_time(self) -> float:
        if self.offset is not None:
            offset, self.offset = self.offset, None
            return offset
        return max(0.0, self.pacing - (time.monotonic() - self.began))

    @task
    def iterate(self) -> None:
        if self.offset is not None:
            return  # the first iteration is the random start's wait
        self.began = time.monotonic()
        self.once()

    def once(self) -> None:
        raise NotImplementedError


class Journey(Paced):
    """One request from intake to booking per iteration (13 calls)."""

    fixed_count = int(MIX.get("journey_users", 1))
    pacing = JOURNEY_PACING

    def on_start(self) -> None:
        super().on_start()
        self.cell = CELLS[self.number % len(CELLS)]
        coordinators = self.cell["coordinators"]
        self.coordinator = browser(self, coordinators[self.number // len(CELLS) % len(coordinators)])
        self.requester = browser(self, self.cell["requester_web"])
        self.software = browser(self, None)

    def request_page(self, page_url: str) -> Any:
        """The coordinator opens the request's page, then the browser asks for its deferred finder panel."""
        page = call(self.coordinator, self, "GET", page_url, "request page", (200,))
        finder_panel(self.coordinator, self, page, page_url)
        return page

    def once(self) -> None:
        cell, slug = self.cell, self.cell["slug"]
        commune = random.randrange(len(cell["communes"]))
        by_api = random.random() < 0.5
        patient = f"Charge{uuid.uuid4().hex[:8]}"
        if by_api:
            bearer = {"Authorization": f"Bearer {cell['api_token']}"}
            body = {
                "patient": {
                    "last_name": patient,
                    "first_name": "Camille",
                    "commune_insee": cell["insee"][commune],
                    "phone": mobile(),
                    "mt_situation": "no_mt",
                },
                "need": {
                    "reason": "Otalgie depuis deux jours",
                    "reason_category": "pain",
                    "care_channel": "gp",
                    "urgency": "48h",
                    "elsewhere": "er",
                },
                "idempotency_key": uuid.uuid4().hex,
            }
            sent = call(
                self.software, self, "POST", "/api/v1/requests", "API POST request", (201,), json=body, headers=bearer
            )
            if sent.status_code != 201:
                return
            pk = int(sent.json()["id"])
        else:
            form = call(self.requester, self, "GET", f"/c/{slug}/demandes/nouvelle/", "form GET intake", (200,))
            key = SUBMISSION_KEY.search(form.text or "")
            data = {
                "csrfmiddlewaretoken": csrf(form),
                "patient_last_name": patient,
                "patient_first_name": "Camille",
                "patient_birth_date": "1975-04-02",
                "patient_sex": "F",
                "patient_commune": cell["communes"][commune],
                "patient_street": "",
                "patient_phone": mobile(),
                "mt_situation": "no_mt",
                "mt_name": "",
                "reason": "Otalgie depuis deux jours",
                "reason_category": "pain",
                "care_channel": "gp",
                "exam_type": "",
                "urgency": "48h",
                "elsewhere": "er",
                "submission_key": key.group(1) if key else uuid.uuid4().hex,
                "slot": "",
            }
            sent = call(
                self.requester, self, "POST", f"/c/{slug}/demandes/nouvelle/", "form POST intake", (302,), data=data
            )
            landed = REQUEST_PAGE.search(sent.headers.get("Location", "") or "") if sent.status_code == 302 else None
            if landed is None:
                if sent.status_code == 302:
                    sent.failure("the form did not lead to the new request's page")
                return
            pk = int(landed.group(1))
        CREATED.append(pk)
        page_url = f"/c/{slug}/demandes/{pk}/"
        page = self.request_page(page_url)
        token = csrf(page)
        call(
            self.coordinator, self, "POST", page_url + "take/", "POST take", (302,), data={"csrfmiddlewaretoken": token}
        )
        if by_api:
            call(
                self.software,
                self,
                "GET",
                f"/api/v1/requests/{pk}",
                "API GET request",
                (200,),
                headers={"Authorization": f"Bearer {cell['api_token']}"},
            )
        page = self.request_page(page_url)
        call(
            self.coordinator,
            self,
            "POST",
            page_url + "callback/",
            "POST callback",
            (302,),
            data={
                "csrfmiddlewaretoken": csrf(page) or token,
                "callback-outcome": "no_answer",
                "callback-note": "Messagerie",
            },
        )
        page = self.request_page(page_url)
        call(
            self.coordinator,
            self,
            "POST",
            page_url + "qualify/",
            "POST qualify",
            (302,),
            data={"csrfmiddlewaretoken": csrf(page) or token, **cell["qualify"]},
        )
        page = self.request_page(page_url)
        # The finder's filter changed to "in person": htmx asks for the finder alone (hx-target #slot-finder).
        finder_url = page_url + "?finder-modality=in_person&finder-km="
        finder = call(
            self.coordinator,
            self,
            "GET",
            finder_url,
            "slot finder (htmx filter)",
            (200,),
            headers={
                "HX-Request": "true",
                "HX-Target": "slot-finder",
                "HX-Trigger": "finder-form",
                "HX-Current-URL": f"{self.host}{page_url}",
            },
        )
        offered = re.findall(rf"/c/{slug}/agenda/demandes/{pk}/creneaux/(\d+)/", finder.text or "")
        if offered:
            slot = random.choice(offered[:5])
            call(
                self.coordinator,
                self,
                "POST",
                f"/c/{slug}/agenda/demandes/{pk}/creneaux/{slot}/",
                "POST book",
                (302,),
                data={"csrfmiddlewaretoken": csrf(finder) or token},
            )
            after = self.request_page(page_url)
            if "message-success" in (after.text or ""):
                BOOKED.append(pk)
            elif "message-error" in (after.text or ""):
                REFUSED.append(pk)
        if by_api:
            call(
                self.software,
                self,
                "GET",
                f"/api/v1/requests/{pk}",
                "API GET request",
                (200,),
                headers={"Authorization": f"Bearer {cell['api_token']}"},
            )
        else:
            call(self.requester, self, "GET", page_url, "requester's request page", (200,))


class QueuePoll(Paced):
    """A coordinator's open queue page: opened once, then its rows polled as htmx does (hx-get with the filters'
    values and the rows' hx-headers: the refresh mark and the version of the rows shown, which the server answers
    with 204 when nothing changed)."""

    fixed_count = int(MIX.get("poll_users", 1))
    pacing = POLL_PACING

    def on_start(self) -> None:
        super().on_start()
        cell = CELLS[self.number % len(CELLS)]
        sessions = cell["coordinators"]
        self.page = browser(self, sessions[self.number // len(CELLS) % len(sessions)])
        self.url = f"/c/{cell['slug']}/demandes/?{CONFIG.get('poll_query', '')}"
        self.version = self.etag = ""
        self.opened = False

    def once(self) -> None:
        """The page opened first; its rows refreshed every interval after."""
        if not self.opened:
            self.opened = True
            self.seen(call(self.page, self, "GET", self.url.split("?")[0], "queue page", (200,)))
        else:
            self.refresh()

    def seen(self, answer: Any) -> None:
        """What the browser keeps of an answer: the rows' version (in their hx-headers), an ETag if one came."""
        if answer.status_code == 200:
            found = ROWS_VERSION.search(answer.text or "")
            self.version = found.group(1) if found else ""
        self.etag = answer.headers.get("ETag", "") or self.etag

    def refresh(self) -> None:
        headers = {
            "HX-Request": "true",
            "HX-Target": "queue-rows",
            "HX-Trigger": "queue-rows",
            "HX-Current-URL": f"{self.host}{self.url}",
            "X-Aiguillage-Refresh": "1",
        }
        if self.version:
            headers["X-Aiguillage-Version"] = self.version
        if self.etag:
            headers["If-None-Match"] = self.etag
        answer = call(self.page, self, "GET", self.url, "queue poll (htmx)", (200, 204, 304), headers=headers)
        REFRESHES[str(answer.status_code)] = REFRESHES.get(str(answer.status_code), 0) + 1
        self.seen(answer)


class SasPlatform(Paced):
    """The SAS platform's INT_R04 searches, through mutual TLS terminated by nginx."""

    fixed_count = int(MIX.get("sas_users", 0))
    pacing = SAS_PACING

    def once(self) -> None:
        queries = CELLS[random.randrange(len(CELLS))]["fhir"]
        headers = {"X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-S-DN": CONFIG.get("sas_subject", "")}
        call(self.client, self, "GET", random.choice(queries), "FHIR Slot search", (200,), headers=headers)


@events.quitting.add_listener
def _write_results(**_kwargs: Any) -> None:
    path = os.environ.get("AIGUILLAGE_LOAD_RESULTS")
    if path:
        with open(path, "w", encoding="utf-8") as file:
            json.dump({"created": CREATED, "booked": BOOKED, "refused": REFUSED, "refreshes": REFRESHES}, file)
