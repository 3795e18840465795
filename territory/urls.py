from django.urls import path

from . import views

app_name = "territory"

urlpatterns = [
    path("communes/", views.CommuneSearch.as_view(), name="commune_search"),
    path("adresses/", views.AddressSuggestions.as_view(), name="address_suggestions"),
    path("", views.TerritoryList.as_view(), name="territory_list"),
    path("cellule/", views.CellSettings.as_view(), name="cell_settings"),
    path("cellule/horaires/", views.OpeningHours.as_view(), name="opening_hours"),
    path("cellule/fermetures/", views.ClosureAdd.as_view(), name="closure_add"),
    path("cellule/fermetures/<int:pk>/retirer/", views.ClosureRemove.as_view(), name="closure_remove"),
    path("nouveau/", views.TerritoryEdit.as_view(), name="territory_create"),
    path("<int:pk>/", views.TerritoryDetail.as_view(), name="territory_detail"),
    path("<int:pk>/modifier/", views.TerritoryEdit.as_view(), name="territory_update"),
    path("<int:pk>/communes/", views.TerritoryCommuneAdd.as_view(), name="territory_commune_add"),
    path(
        "<int:pk>/communes/<int:commune_pk>/retirer/",
        views.TerritoryCommuneRemove.as_view(),
        name="territory_commune_remove",
    ),
]
