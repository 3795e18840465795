from django.contrib import admin

from .models import Cell, Commune, Territory


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["insee_code", "name", "postal_codes", "department", "population"]
    search_fields = ["insee_code", "search_name", "postal_codes"]
    list_filter = ["department"]


@admin.register(Cell)
class CellAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "phone", "email"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["name", "cell", "finess"]
    list_filter = ["cell"]
    autocomplete_fields = ["communes"]
