"""Day sheets for the field: the printable page and its PDF (A4, readable in black and white). The cell's
coordinators and supervisors print any of the cell's sheets; an effector, only the sheets they take part in; every
sheet shown is written in the access log with the patients it names."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic.base import ContextMixin

from accounts.policies import CellMixin, Perm
from audit.recording import record_list
from common.pdf import pdf_from_html
from directory.models import Professional

from ..daysheets import DaySheet, SheetKind, day_sheet, sheet_choices, sheet_subject

DAY_NOT_A_DATE = _("This day is not a date: choose it in the calendar (for example 14/07/2026).")
CHOOSE_WHOSE_SHEET = _("Choose a professional or a site for the day sheet.")


class DayForm(forms.Form):
    jour = forms.DateField(
        label=_("Day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": DAY_NOT_A_DATE},
    )


def sheet_url(cell_slug: str, kind: SheetKind, pk: int, day: date | None = None, *, pdf: bool = False) -> str:
    url = reverse(f"desk:daysheet_{kind.name.lower()}{'_pdf' if pdf else ''}", kwargs={"cell": cell_slug, "pk": pk})
    return f"{url}?jour={day:%Y-%m-%d}" if day else url


class DaySheetView(CellMixin, ContextMixin, View):
    """One kind of day sheet (`kind`), as a page to print or (`pdf`) as a PDF. Today unless `jour` says a day."""

    permission = Perm.DAY_SHEETS
    http_method_names = ["get"]
    kind: ClassVar[SheetKind]
    pdf: ClassVar[bool] = False

    def effector(self) -> Professional | None:
        """None for the cell's staff, who work the queue (every sheet of the cell); for an effector, themself (the
        sheets they take part in only). The cell administrator has no day sheet: it names patients."""
        if self.allows(Perm.QUEUE_VIEW):
            return None
        if self.allows(Perm.OWN_APPOINTMENTS) and self.membership.professional is not None:
            return self.membership.professional
        raise PermissionDenied

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        subject = sheet_subject(self.cell, self.kind, kwargs["pk"], self.effector())
        form = DayForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            # Nothing printed for a day that is not one (not even today's: a sheet for the wrong day is worse).
            return self.page(form, subject=subject, sheet=None, status=400)
        day = form.cleaned_data.get("jour") if form.is_bound else None
        day = day or timezone.localdate()
        if not form.is_bound or not request.GET.get("jour"):
            form = DayForm(initial={"jour": day})
        sheet = day_sheet(self.cell, subject, day)
        record_list(
            request,
            cell=self.cell,
            what="day_sheet_pdf" if self.pdf else "day_sheet",
            requests=sheet.request_ids,
            detail=f"{self.kind.value} {subject.pk} {day:%Y-%m-%d}",
        )
        if self.pdf:
            html = render_to_string("desk/daysheet_pdf.html", self.sheet_context(sheet), request=request)
            response = HttpResponse(pdf_from_html(html, stylesheet="css/daysheet.css"), content_type="application/pdf")
            name = f"feuille-{self.kind.value}-{subject.pk}-{day:%Y-%m-%d}.pdf"
            response["Content-Disposition"] = f'inline; filename="{name}"'
            response["Cache-Control"] = "private, no-store"
            return response
        return self.page(form, subject=subject, sheet=sheet)

    def sheet_context(self, sheet: DaySheet) -> dict[str, Any]:
        return {"cell": self.cell, "sheet": sheet, "printed_at": timezone.localtime()}

    def page(self, form: DayForm, *, subject: Any, sheet: DaySheet | None, status: int = 200) -> HttpResponse:
        day = sheet.day if sheet else None
        context = self.get_context_data(
            title=sheet.title if sheet else str(_("Day sheet")),
            form=form,
            subject=subject,
            action_url=sheet_url(self.cell.slug, self.kind, subject.pk),
            pdf_url=sheet_url(self.cell.slug, self.kind, subject.pk, day, pdf=True) if day else "",
            **(self.sheet_context(sheet) if sheet else {}),
        )
        response = render(self.request, "desk/daysheet.html", context, status=status)
        response["Cache-Control"] = "private, no-store"
        return response


class TourSheet(DaySheetView):
    kind = SheetKind.TOUR


class TourSheetPdf(TourSheet):
    pdf = True


class SpotSheet(DaySheetView):
    kind = SheetKind.SPOT


class SpotSheetPdf(SpotSheet):
    pdf = True


class SiteSheet(DaySheetView):
    kind = SheetKind.SITE


class SiteSheetPdf(SiteSheet):
    pdf = True


class ProfessionalSheet(DaySheetView):
    kind = SheetKind.PROFESSIONAL


class ProfessionalSheetPdf(ProfessionalSheet):
    pdf = True


class DaySheetChoose(DaySheetView):
    """The day sheets one may print, to choose from with a day (the calendar's form comes here too): a choice made
    goes to that sheet, which checks again who may read it."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        effector = self.effector()
        chosen = request.GET.get("pour", "")
        form = DayForm(request.GET if "pour" in request.GET or "jour" in request.GET else None)
        if form.is_bound:
            kind_word, _sep, number = chosen.partition("-")
            kinds = {kind.value: kind for kind in SheetKind}
            if kind_word in kinds and number.isdigit() and form.is_valid():
                url = sheet_url(self.cell.slug, kinds[kind_word], int(number))
                day = form.cleaned_data.get("jour")
                return HttpResponseRedirect(f"{url}?jour={day:%Y-%m-%d}" if day else url)
            if not (kind_word in kinds and number.isdigit()):
                form.add_error(None, CHOOSE_WHOSE_SHEET)
        else:
            form = DayForm(initial={"jour": timezone.localdate()})
        context = self.get_context_data(
            title=gettext("Day sheets"), form=form, choices=sheet_choices(self.cell, effector), chosen=chosen
        )
        return render(request, "desk/daysheet_choose.html", context, status=400 if form.errors else 200)
