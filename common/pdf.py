"""Printable documents (the reports, a patient's record, an appointment slip) from an HTML page, with WeasyPrint."""

from __future__ import annotations

import weasyprint
from django.contrib.staticfiles import finders


def pdf_from_html(html: str) -> bytes:
    """The PDF of a page, with the print stylesheet."""
    # The stylesheet is a file, not a <style> in the template: no template holds inline style (tests/test_csp.py).
    stylesheet = finders.find("css/report.css")
    assert isinstance(stylesheet, str), "static/css/report.css is missing"
    return bytes(weasyprint.HTML(string=html).write_pdf(stylesheets=[weasyprint.CSS(filename=stylesheet)]))
