"""The one place where refusals become HTTP answers.

Services raise the refusals of common/refusals.py (NotPermitted: 403, NotAvailable: 409, each
with its message) and django's ValidationError (400 with field messages); DRF raises its own errors.
A 400 about fields leaves here as `{"field": ["message", …]}`, with nested serializer
errors flattened to dotted paths (`parties[0].name`); one about the body as a whole,
like every other error, as `{"detail": "…"}`: `detail` is always one string.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from common.refusals import Refusal


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """{"parties": [{"name": ["…"]}, {}]} -> {"parties[0].name": ["…"]}."""
    if isinstance(detail, dict):
        flat = {}
        for key, value in detail.items():
            if isinstance(key, int):  # a list serializer's errors, keyed by index
                path = f"{prefix}[{key}]"
            elif key == api_settings.NON_FIELD_ERRORS_KEY:  # about the field as a whole (too many parties)
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, path))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            if not detail:
                return {}
            if not prefix:  # errors about the body as a whole: `detail` is one string
                return {"detail": " ".join(str(item) for item in detail)}
            return {prefix: [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(flatten_errors(item, f"{prefix}[{index}]"))
        return flat
    return {prefix: [str(detail)]} if prefix else {"detail": str(detail)}


def _django_validation_error(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        if "__all__" in errors:  # about the request as a whole
            errors["detail"] = " ".join(errors.pop("__all__"))
        return errors
    return {"detail": " ".join(str(m) for m in exc.messages)}


def exception_handler(exc, context):
    if isinstance(exc, Refusal):  # 403 or 409, as its class says
        return Response({"detail": exc.message}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        return Response(_django_validation_error(exc), status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        if isinstance(exc, exceptions.ValidationError):
            response.data = flatten_errors(exc.detail)
        else:  # ParseError and friends
            response.data = {"detail": str(exc.detail)}
    return response
