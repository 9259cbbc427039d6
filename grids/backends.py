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
