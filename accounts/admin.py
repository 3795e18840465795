from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from .models import Membership, PscAccessRequest, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["professional", "site"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "cell", "role", "requester_type", "is_active"]
    list_filter = ["cell", "role", "is_active"]
    search_fields = ["user__username", "user__last_name"]
    raw_id_fields = ["professional", "site", "user"]


@admin.register(PscAccessRequest)
class PscAccessRequestAdmin(admin.ModelAdmin):
    """Decided in the cell's own screens; the platform administrator only looks."""

    list_display = ["rpps", "family_name", "given_name", "cell", "status", "created_at", "decided_by"]
    list_filter = ["status", "cell"]
    search_fields = ["rpps", "family_name"]
    readonly_fields = [field.name for field in PscAccessRequest._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
