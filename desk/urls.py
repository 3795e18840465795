"""The desk's addresses. They keep the names of the apps whose pages they were (`referrals:queue`,
`accounts:cell_home`, ...): aiguillage/urls.py includes `urlpatterns` under the `referrals` namespace, beside the
referrals' own, and `cell_home_urlpatterns` under `accounts`. Pages born in the desk have its own namespace, `desk`
(`daysheet_urlpatterns`)."""

from django.urls import path

from .views import daysheets, home, intake, queue, request_page, waiting

urlpatterns = [  # under c/<cell>/demandes/, namespace "referrals"
    path("", queue.QueueView.as_view(), name="queue"),
    path("nouvelle/", intake.IntakeView.as_view(), name="request_new"),
    path("telephone/", intake.PhoneIntakeView.as_view(), name="request_phone"),
    path("telephone/adresseurs/", intake.RequesterSearch.as_view(), name="requester_search"),
    # Last: a number in the first segment is a request (the referrals' own routes begin with a word).
    path("<int:pk>/", request_page.RequestDetail.as_view(), name="request_detail"),
    path("<int:pk>/<slug:action>/", request_page.request_action, name="request_action"),
]

cell_home_urlpatterns = [  # under the site's root, namespace "accounts"
    path("c/<slug:cell>/", home.CellHome.as_view(), name="cell_home"),
    # The landing page of a person of several cells (accounts:home sends them there): what waits in each.
    path("ce-qui-vous-attend/", waiting.WaitingView.as_view(), name="waiting"),
]

daysheet_urlpatterns = [  # under c/<cell>/feuilles-du-jour/, namespace "desk"
    path("", daysheets.DaySheetChoose.as_view(), name="daysheet_choose"),
    path("medicobus/<int:pk>/", daysheets.TourSheet.as_view(), name="daysheet_tour"),
    path("medicobus/<int:pk>/pdf/", daysheets.TourSheetPdf.as_view(), name="daysheet_tour_pdf"),
    path("spot/<int:pk>/", daysheets.SpotSheet.as_view(), name="daysheet_spot"),
    path("spot/<int:pk>/pdf/", daysheets.SpotSheetPdf.as_view(), name="daysheet_spot_pdf"),
    path("lieu/<int:pk>/", daysheets.SiteSheet.as_view(), name="daysheet_site"),
    path("lieu/<int:pk>/pdf/", daysheets.SiteSheetPdf.as_view(), name="daysheet_site_pdf"),
    path("professionnel/<int:pk>/", daysheets.ProfessionalSheet.as_view(), name="daysheet_professional"),
    path("professionnel/<int:pk>/pdf/", daysheets.ProfessionalSheetPdf.as_view(), name="daysheet_professional_pdf"),
]
