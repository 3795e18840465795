"""The request page's buttons: one class per button, whichever app's work it does (desk, agenda, alerts).

Here, low in the layers (decision 0003), so that agenda and alerts subclass it as well as the desk.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views import View

from accounts.models import User
from accounts.policies import CellMixin, Perm
from common.errors import DomainError

from .. import selectors
from ..models import Request


class RequestPageAction(CellMixin, View, metaclass=ABCMeta):
    """A button on the request's page: do one thing, say how it went, and go back to the request. Each button is a
    subclass that says what `act` does; a refusal (DomainError) is shown as a message, nothing done."""

    permission = Perm.REQUEST_HANDLE
    http_method_names = ["post"]

    @abstractmethod
    def act(self, user: User) -> tuple[int, str]:
        """Do it; return the request's id and the success message, if any (a DomainError says why not)."""

    @cached_property
    def target(self) -> Request:
        """The request the address names (read once, and only by the buttons whose address names one)."""
        return selectors.request_for(self.membership, self.kwargs["pk"])

    def request_pk(self) -> int:
        """The request to go back to, whatever `act` does: a button on a booking or a cascade says which it is."""
        return int(self.target.pk)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        assert isinstance(user, User)
        request_pk = self.request_pk()
        try:
            request_pk, done = self.act(user)
        except DomainError as error:
            return self.refused(error, request_pk)
        if done:
            messages.success(request, done)
        return self.done(request_pk)

    def refused(self, error: DomainError, request_pk: int) -> HttpResponse:
        messages.error(self.request, str(error.message))
        return self.back(request_pk)

    def done(self, request_pk: int) -> HttpResponse:
        return self.back(request_pk)

    def back(self, request_pk: int) -> HttpResponse:
        return HttpResponseRedirect(self.page_url(request_pk))

    def page_url(self, request_pk: int) -> str:
        return reverse("referrals:request_detail", kwargs={"cell": self.cell.slug, "pk": request_pk})
