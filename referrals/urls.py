"""The referrals' own addresses, under c/<cell>/demandes/. aiguillage/urls.py includes them with the desk's (the
queue, the intake, the request page) under the one `referrals` namespace."""

from django.urls import path

from . import search_views
from .views import configuration, requester, supervision, tags

urlpatterns = [
    path("recherche/", search_views.RequestSearchView.as_view(), name="request_search"),
    path("envoyees/", requester.MyRequests.as_view(), name="my_requests"),
    path("superviseur/", supervision.SupervisorInbox.as_view(), name="supervisor_inbox"),
    path("questions/<int:pk>/repondre/", supervision.QuestionAnswer.as_view(), name="question_answer"),
    path("astreinte/", supervision.DutyRoster.as_view(), name="duty_roster"),
    path("astreinte/ajouter/", supervision.ShiftAdd.as_view(), name="shift_add"),
    path("doublons/<int:pk>/", supervision.DuplicateDecide.as_view(), name="duplicate_decide"),
    path("reglages/", configuration.ReferralSettingsEdit.as_view(), name="settings"),
    path("protocole/", configuration.ProtocolView.as_view(), name="protocol"),
    path("protocole/nouvelle/", configuration.ProtocolQuestionEdit.as_view(), name="protocol_question_create"),
    path("protocole/<int:pk>/", configuration.ProtocolQuestionEdit.as_view(), name="protocol_question_update"),
    path("protocole/<int:pk>/regle/", configuration.ProtocolRuleEdit.as_view(), name="protocol_rule_create"),
    path(
        "protocole/<int:pk>/regle/<int:rule_pk>/",
        configuration.ProtocolRuleEdit.as_view(),
        name="protocol_rule_update",
    ),
    path("etiquettes/", tags.TagList.as_view(), name="tags"),
    path("etiquettes/nouvelle/", tags.TagEdit.as_view(), name="tag_create"),
    path("etiquettes/<int:pk>/", tags.TagEdit.as_view(), name="tag_update"),
    path("etiquettes/<int:pk>/archiver/", tags.TagArchive.as_view(), name="tag_archive"),
    path("etiquettes/<int:pk>/retablir/", tags.TagRestore.as_view(), name="tag_restore"),
    path("partenaires/", configuration.PartnerList.as_view(), name="partner_list"),
    path("partenaires/nouveau/", configuration.PartnerEdit.as_view(), name="partner_create"),
    path("partenaires/<int:pk>/", configuration.PartnerPoster.as_view(), name="partner_poster"),
    path("partenaires/<int:pk>/modifier/", configuration.PartnerEdit.as_view(), name="partner_update"),
]
