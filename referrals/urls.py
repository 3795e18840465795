from django.urls import path

from . import search_views, views

app_name = "referrals"

urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    path("nouvelle/", views.IntakeView.as_view(), name="request_new"),
    path("telephone/", views.PhoneIntakeView.as_view(), name="request_phone"),
    path("telephone/adresseurs/", views.RequesterSearch.as_view(), name="requester_search"),
    path("recherche/", search_views.RequestSearchView.as_view(), name="request_search"),
    path("envoyees/", views.MyRequests.as_view(), name="my_requests"),
    path("superviseur/", views.SupervisorInbox.as_view(), name="supervisor_inbox"),
    path("questions/<int:pk>/repondre/", views.QuestionAnswer.as_view(), name="question_answer"),
    path("astreinte/", views.DutyRoster.as_view(), name="duty_roster"),
    path("astreinte/ajouter/", views.ShiftAdd.as_view(), name="shift_add"),
    path("doublons/<int:pk>/", views.DuplicateDecide.as_view(), name="duplicate_decide"),
    path("reglages/", views.ReferralSettingsEdit.as_view(), name="settings"),
    path("protocole/", views.ProtocolView.as_view(), name="protocol"),
    path("protocole/nouvelle/", views.ProtocolQuestionEdit.as_view(), name="protocol_question_create"),
    path("protocole/<int:pk>/", views.ProtocolQuestionEdit.as_view(), name="protocol_question_update"),
    path("protocole/<int:pk>/regle/", views.ProtocolRuleEdit.as_view(), name="protocol_rule_create"),
    path("protocole/<int:pk>/regle/<int:rule_pk>/", views.ProtocolRuleEdit.as_view(), name="protocol_rule_update"),
    path("partenaires/", views.PartnerList.as_view(), name="partner_list"),
    path("partenaires/nouveau/", views.PartnerEdit.as_view(), name="partner_create"),
    path("partenaires/<int:pk>/", views.PartnerPoster.as_view(), name="partner_poster"),
    path("partenaires/<int:pk>/modifier/", views.PartnerEdit.as_view(), name="partner_update"),
    path("<int:pk>/", views.RequestDetail.as_view(), name="request_detail"),
    path("<int:pk>/<slug:action>/", views.RequestAction.as_view(), name="request_action"),
]
