from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Membership, User


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
