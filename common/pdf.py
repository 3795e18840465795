"""Printable documents (the reports, a patient's record, an appointment slip) from an HTML page, with WeasyPrint."""

from __future__ import annotations

import weasyprint
from django.contrib.staticfiles import finders


def pdf_from_html(html: str, stylesheet: str = "css/report.css") -> bytes:
    """The PDF of a page, with a print stylesheet of the static files (the reports' unless another is named)."""
    # The stylesheet is a file, not a <style> in the template: no template holds inline style (tests/test_csp.py).
    path = finders.find(stylesheet)
    assert isinstance(path, str), f"static/{stylesheet} is missing"
    return bytes(weasyprint.HTML(string=html).write_pdf(stylesheets=[weasyprint.CSS(filename=path)]))
