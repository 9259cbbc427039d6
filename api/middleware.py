"""Every answer under /api/ is JSON, whatever answers it: the API's views, or Django before them."""

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

# Headers of the original answer that still hold for the JSON one.
_KEPT = ("Retry-After", "WWW-Authenticate", "Allow", "Vary")


class ApiErrorsMiddleware:
    """Under /api/: a body larger than Django accepts (DATA_UPLOAD_MAX_MEMORY_SIZE) is a 413 before
    anything reads it; an error answered by Django itself as HTML (a path no pattern matches, such
    as one holding a newline; a CSRF refusal; a server error) keeps its status in JSON,
    `{"detail": "…"}`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return JsonResponse({"detail": _("请求体过大：上限为 %(limit)s 字节。") % {"limit": limit}}, status=413)
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            answer = JsonResponse({"detail": str(response.reason_phrase)}, status=response.status_code)
            for header in _KEPT:
                if header in response:
                    answer[header] = response[header]
            return answer
        return response
