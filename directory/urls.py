from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("sites/", views.SiteList.as_view(), name="site_list"),
    path("sites/nouveau/", views.SiteEdit.as_view(), name="site_create"),
    path("sites/<int:pk>/", views.SiteDetail.as_view(), name="site_detail"),
    path("sites/<int:pk>/modifier/", views.SiteEdit.as_view(), name="site_update"),
    path("professionnels/", views.ProfessionalList.as_view(), name="professional_list"),
    path("professionnels/nouveau/", views.ProfessionalEdit.as_view(), name="professional_create"),
    path("professionnels/<int:pk>/", views.ProfessionalDetail.as_view(), name="professional_detail"),
    path("professionnels/<int:pk>/modifier/", views.ProfessionalEdit.as_view(), name="professional_update"),
    path("professionnels/import/", views.AnnuaireImportStart.as_view(), name="import_start"),
    path("professionnels/import/<int:pk>/", views.AnnuaireImportDetail.as_view(), name="import_detail"),
    path("professionnels/import/<int:pk>/rejets.csv", views.AnnuaireImportReport.as_view(), name="import_report"),
    path("partages/", views.PoolAgreementList.as_view(), name="pool_list"),
    path("partages/proposer/", views.PoolAgreementOffer.as_view(), name="pool_offer"),
    path("partages/<int:pk>/accepter/", views.PoolAgreementAccept.as_view(), name="pool_accept"),
    path("partages/<int:pk>/terminer/", views.PoolAgreementEnd.as_view(), name="pool_end"),
    path("ressources/", views.ResourceList.as_view(), name="resource_list"),
    path("ressources/nouvelle/", views.ResourceEdit.as_view(), name="resource_create"),
    path("ressources/<int:pk>/", views.ResourceDetail.as_view(), name="resource_detail"),
    path("ressources/<int:pk>/modifier/", views.ResourceEdit.as_view(), name="resource_update"),
]
