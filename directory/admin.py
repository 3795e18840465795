from django.contrib import admin

from .models import Professional, ReorientationResource, Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "commune", "cell"]
    list_filter = ["cell", "kind"]
    search_fields = ["name"]
    autocomplete_fields = ["commune"]


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "profession", "rpps", "adeli", "cell"]
    list_filter = ["cell", "profession", "teleconsultant_tier"]
    search_fields = ["search_name", "rpps", "adeli"]
    filter_horizontal = ["sites"]


@admin.register(ReorientationResource)
class ReorientationResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "commune", "cell"]
    list_filter = ["cell", "kind"]
    search_fields = ["name"]
    autocomplete_fields = ["commune", "communes_served"]
