from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from common.models import Notice

UserModel = get_user_model()


class SignInThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for every sign-in that comes with a request.

    Every HTTP sign-in (the login page, the admin, the API's token endpoint) passes its
    request and is throttled. Only in-process callers without one (the test client's
    `login()`, a shell) have no address to lock and are let through to ModelBackend.
    """

    def authenticate(self, request=None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


# axes stores the attempted username in a varchar(255); a longer one (anyone can type it) made
# every sign-in form answer 500. No real username is longer than the User model's 150.
USERNAME_LIMIT = 150


def attempted_username(request, credentials) -> str | None:
    """AXES_USERNAME_CALLABLE: the username a sign-in attempt is recorded and throttled under."""
    username = (credentials or {}).get("username")
    return username[:USERNAME_LIMIT] if isinstance(username, str) else username


class AccountBackend(ModelBackend):
    """Django's accounts, with the unread notice count read in the same query as the signed-in user.

    Every page shows the count in its menu; a COUNT of its own would cost each page a query
    (the pages' budget is 8). The subquery runs on the (user, read_at) index.
    """

    def get_user(self, user_id):
        unread = (
            Notice.objects.filter(user_id=OuterRef("pk"), read_at__isnull=True)
            .order_by()
            .values("user_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        user = (
            UserModel._default_manager.annotate(unread_notice_count=Coalesce(Subquery(unread), 0))
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
