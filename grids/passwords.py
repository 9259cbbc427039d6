"""Password reuse (等保 2.0 level 3): a new password may not be any of the user's last few."""

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import PasswordHistory


class RecentPasswordsValidator:
    """AUTH_PASSWORD_VALIDATORS entry: refuses the current password and the `count` last ones, and
    records each new password's hash when Django says it has been set (`password_changed`)."""

    def __init__(self, count: int = 5):
        self.count = count

    def _recent(self, user) -> list[str]:
        hashes = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[: self.count])
        return [user.password, *hashes] if user.password else hashes

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        if any(check_password(password, encoded) for encoded in self._recent(user)):
            raise ValidationError(
                ngettext(
                    "新密码不能与最近使用过的%(count)d个密码相同。",
                    "新密码不能与最近使用过的%(count)d个密码相同。",
                    self.count,
                )
                % {"count": self.count},
                code="password_reused",
            )

    def password_changed(self, password, user=None):
        if user is None or user.pk is None or not user.password:
            return
        PasswordHistory.objects.create(user=user, password=user.password)
        stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[self.count :]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self):
        return _("不能与最近使用过的%(count)d个密码相同。") % {"count": self.count}
