"""What static/js/queue.js needs to tell a new request on the queue: each row names its request, the table carries the
announcement's words, the page loads the script from our own static files (no inline script)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import World
from tests.factories import ProfessionalFactory

from .factories import make_request

pytestmark = pytest.mark.django_db


def test_the_queue_and_its_refresh_name_each_rows_request_and_load_the_script(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell)
    client = world.client_for(world.colleague)
    url = reverse("referrals:queue", kwargs={"cell": world.cell.slug})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<script src="/static/js/queue.js" defer></script>' in page
    refresh = client.get(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for html in (page, refresh):
        assert f'data-request="{request.pk}"' in html
        assert 'data-new-one="1 new request"' in html and 'data-new-some="{count} new requests"' in html
