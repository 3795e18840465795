"""The MSSanté relay: the second e-mail connection, used only for the messages carrying health details
(`models.CARRIES_HEALTH_DETAILS`). It is the SMTP server of the cell's MSSanté provider, always reached over TLS; the
provider delivers only to MSSanté addresses (docs/mssante.md)."""

from __future__ import annotations

import ssl

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend
from django.utils.functional import cached_property

from directory.models import is_mssante_address

__all__ = ["MssanteBackend", "RelayNotConfigured", "connection", "is_mssante_address", "relay_configured", "sender"]


class RelayNotConfigured(Exception):
    """A message queued for MSSanté while the relay was configured, to be sent after it was removed: it waits."""


def relay_configured() -> bool:
    return bool(settings.AIGUILLAGE_MSSANTE_HOST)


class MssanteBackend(EmailBackend):
    """Django's SMTP backend, with the certificate checked against `ca_file` when given (a provider whose certificate
    comes from the IGC Santé, which systems do not know), else against the system's authorities."""

    def __init__(self, *, ca_file: str = "", **kwargs: object) -> None:
        self.ca_file = ca_file
        super().__init__(**kwargs)  # type: ignore[arg-type]

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file or None)


def connection() -> EmailBackend:
    """A connection to the relay, from the settings; `RelayNotConfigured` when there is none."""
    if not relay_configured():
        raise RelayNotConfigured("the MSSanté relay is not configured (AIGUILLAGE_MSSANTE_HOST)")
    implicit = settings.AIGUILLAGE_MSSANTE_TLS == "implicit"
    return get_connection(
        "notifications.mssante.MssanteBackend",
        host=settings.AIGUILLAGE_MSSANTE_HOST,
        port=settings.AIGUILLAGE_MSSANTE_PORT,
        username=settings.AIGUILLAGE_MSSANTE_USER,
        password=settings.AIGUILLAGE_MSSANTE_PASSWORD,
        use_tls=not implicit,
        use_ssl=implicit,
        timeout=settings.EMAIL_TIMEOUT,
        ca_file=settings.AIGUILLAGE_MSSANTE_CA_FILE,
    )


def sender() -> str:
    """The cell's MSSanté address: the relay sends only from a mailbox of its own."""
    return str(settings.AIGUILLAGE_MSSANTE_FROM)
