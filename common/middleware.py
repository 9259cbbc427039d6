from django.shortcuts import render
from django.utils.cache import patch_cache_control

from .refusals import Refusal


class PrivateNoStoreMiddleware:
    """Pages and exports seen by a signed-in user carry personal data: never cache them anywhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
            patch_cache_control(response, no_store=True, private=True, max_age=0)
        return response


class RefusalMiddleware:
    """The web's one answer to a refusal that a view lets go (common/refusals.py): the error page of
    its status, 403 or 409, saying why (templates/403.html, templates/409.html). Views that show a
    form again put the refusal on the form instead (common.refusals.show_refusal); the API has its
    own mapping (api/exceptions.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, Refusal):
            return None
        return render(
            request, f"{exception.status_code}.html", {"exception": exception.message}, status=exception.status_code
        )
