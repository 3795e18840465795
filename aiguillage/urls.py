from django.contrib import admin
from django.urls import include, path

from accounts import urls as accounts_urls
from accounts import views as account_views
from agenda import views as agenda_views
from alerts import views as alert_views
from desk import urls as desk_urls
from privacy import public_views as privacy_public_views
from referrals import urls as referrals_urls
from surveys import views as survey_views

urlpatterns = [
    path("", include((accounts_urls.urlpatterns + desk_urls.cell_home_urlpatterns, "accounts"))),
    path("c/<slug:cell>/territoire/", include("territory.urls")),
    path("c/<slug:cell>/annuaire/", include("directory.urls")),
    # The desk's pages (the queue, the intake, the request page) keep their `referrals:` names.
    path("c/<slug:cell>/demandes/", include((referrals_urls.urlpatterns + desk_urls.urlpatterns, "referrals"))),
    path("c/<slug:cell>/agenda/", include("agenda.urls")),
    path("c/<slug:cell>/feuilles-du-jour/", include((desk_urls.daysheet_urlpatterns, "desk"))),
    path("c/<slug:cell>/placement/", include("placement.urls")),
    path("c/<slug:cell>/messages/", include("notifications.urls")),
    path("c/<slug:cell>/alertes/", include("alerts.urls")),
    path("c/<slug:cell>/indicateurs/", include("indicators.urls")),
    path("c/<slug:cell>/capacite/", include("capacity.urls")),
    path("c/<slug:cell>/enquetes/", include("surveys.urls")),
    path("c/<slug:cell>/", include("privacy.urls")),
    path("q/", include("referrals.public_urls")),
    path("api/", include("api.urls")),
    path("", include("interop.urls")),
    path("ical/<str:token>.ics", agenda_views.calendar_feed, name="calendar_feed"),
    path("a/<str:token>/", agenda_views.PatientCancel.as_view(), name="patient_cancel"),
    path("r/<str:token>/", alert_views.AlertAnswer.as_view(), name="alert_answer"),
    path("e/<str:token>/", survey_views.SurveyAnswer.as_view(), name="survey_answer"),
    path("questionnaire/<str:token>/", survey_views.QuestionnaireAnswer.as_view(), name="questionnaire_answer"),
    path("donnees/<slug:slug>/", privacy_public_views.privacy, name="privacy"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("scheduling.urls")),  # /healthz and /readyz, for the host's monitoring
    # The platform administrator logs in like everyone (password pauses, second factor), never on the admin's page.
    path(
        "plateforme/admin/login/",
        account_views.AdminLoginRedirect.as_view(),
        name="admin_login_redirect",
    ),
    path("plateforme/admin/", admin.site.urls),
]
