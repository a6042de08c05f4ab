from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from broadsheet.readers.models import Reader


@admin.register(Reader)
class ReaderAdmin(UserAdmin):
    ordering = ["handle"]
    list_display = ["handle", "display_name", "email", "is_staff", "date_joined", "last_seen_at"]
    search_fields = ["handle", "display_name", "email"]
    fieldsets = [
        (None, {"fields": ["handle", "display_name", "email", "password"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["date_joined", "last_seen_at"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["handle", "display_name", "email", "password1", "password2"]}),
    ]
