from axes.backends import AxesStandaloneBackend


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
