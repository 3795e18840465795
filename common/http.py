"""Facts about the HTTP request that depend on the deployment."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The visitor's address: behind nginx, from the header the proxy sets (AIGUILLAGE_CLIENT_IP_HEADER, e.g.
    HTTP_X_REAL_IP), never from a header a visitor could send without a proxy in front."""
    header = getattr(settings, "AIGUILLAGE_CLIENT_IP_HEADER", "")
    if header and request.META.get(header):
        # A list (X-Forwarded-For): the last entry is the one our proxy appended; the earlier ones the visitor wrote.
        return str(request.META[header]).split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))
