from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by `createtoken` or the token endpoint (the key is shown once); here they are
    seen (prefix, expiry, last use) and revoked (deleted)."""

    list_display = ["prefix", "user", "created_at", "expires_at", "last_used_at", "networks"]
    list_select_related = ["user"]
    search_fields = ["user__username", "prefix"]
    readonly_fields = ["user", "prefix", "created_at", "expires_at", "last_used_at", "networks"]
    exclude = ["digest", "allowed_networks"]

    @admin.display(description=_("允许的来源地址"))
    def networks(self, token):
        return "、".join(token.allowed_networks) or _("不限")

    def has_add_permission(self, request):
        return False
