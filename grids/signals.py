"""A new session's sign-in state, set where Django announces every sign-in (our page, the admin's,
a test client's): the idle clock starts and whether a second factor is asked is noted, in the
session written by the sign-in anyway, so that the pages after cost no query for either."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import signed_in


@receiver(user_logged_in, dispatch_uid="fengqiao_sign_in_steps")
def _logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        signed_in(request, user)
