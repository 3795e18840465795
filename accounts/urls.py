from django.urls import path

from . import invitation_views, password_reset_views, psc_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("connexion/code/", views.SecondFactorView.as_view(), name="otp_verify"),
    path("connexion/psc/", psc_views.psc_start, name="psc_start"),
    path("connexion/psc/retour/", psc_views.psc_callback, name="psc_callback"),
    path("connexion/psc/demande/", psc_views.PscAccessRequestView.as_view(), name="psc_access_request"),
    path("compte/double-authentification/", views.SecondFactorSetup.as_view(), name="otp_setup"),
    path("compte/codes-de-secours/", views.RecoveryCodesRenew.as_view(), name="recovery_codes"),
    path("compte/mot-de-passe/", views.PasswordChangeView.as_view(), name="password_change"),
    path("mot-de-passe-oublie/", password_reset_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe-oublie/envoye/", password_reset_views.PasswordResetDoneView.as_view(), name="password_reset_done"
    ),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        password_reset_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe-oublie/change/",
        password_reset_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitation/<str:token>/", invitation_views.InvitationAccept.as_view(), name="invitation_accept"),
    path("c/<slug:cell>/role/", views.ActingRoleSwitch.as_view(), name="acting_role"),
    path("c/<slug:cell>/me-prevenir/", views.AlertChannelEdit.as_view(), name="alert_channel"),
    path("c/<slug:cell>/membres/", views.MemberList.as_view(), name="member_list"),
    path("c/<slug:cell>/membres/nouveau/", views.MemberCreate.as_view(), name="member_create"),
    path("c/<slug:cell>/membres/rattacher/", views.MemberAttach.as_view(), name="member_attach"),
    path("c/<slug:cell>/membres/<int:pk>/", views.MemberUpdate.as_view(), name="member_update"),
    path("c/<slug:cell>/membres/inviter/", invitation_views.InvitationCreate.as_view(), name="invitation_create"),
    path(
        "c/<slug:cell>/membres/invitations/<int:pk>/renvoyer/",
        invitation_views.InvitationResend.as_view(),
        name="invitation_resend",
    ),
    path(
        "c/<slug:cell>/membres/invitations/<int:pk>/retirer/",
        invitation_views.InvitationRevoke.as_view(),
        name="invitation_revoke",
    ),
    path(
        "c/<slug:cell>/membres/<int:pk>/double-authentification/",
        views.MemberSecondFactorReset.as_view(),
        name="member_second_factor_reset",
    ),
    path("c/<slug:cell>/membres/demandes-psc/", psc_views.PscRequestList.as_view(), name="psc_request_list"),
    path(
        "c/<slug:cell>/membres/demandes-psc/<int:pk>/",
        psc_views.PscRequestDecide.as_view(),
        name="psc_request_decide",
    ),
]
