"""The one family of refusals. A service that will not do what it is asked raises one of these, with a
message for the user; its class says which answer it becomes.

- `NotPermitted` (403): the user may not do this. It is Django's PermissionDenied too, so anything
  that knows only Django (its 403 handler, DRF) answers 403 for it as well.
- `NotAvailable` (409): not possible as things stand (the state, an unmet requirement, a lost race).

A ValidationError (400, by field) stays Django's own. Where the answers are made:
- the web: a page that shows its form again puts the refusal on the form (`show_refusal`); any
  other view lets it go, and common.middleware.RefusalMiddleware answers with the error page of
  its status (templates/403.html, templates/409.html);
- the API: api/exceptions.py.
"""

from django.core.exceptions import PermissionDenied, ValidationError


class Refusal(Exception):
    """Base of every refusal by a service; `message` is for the user, `status_code` the HTTP answer."""

    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotPermitted(Refusal, PermissionDenied):
    """The user may not do this (HTTP 403)."""

    status_code = 403


class NotAvailable(Refusal):
    """Not possible as things stand: the state, an unmet requirement, a lost race (HTTP 409)."""

    status_code = 409


def add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the fields it names; anything else goes to the top of the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def show_refusal(form, exc: ValidationError | Refusal) -> int:
    """A service's refusal of what the form sent, put on the form; the status of the page that shows it again."""
    if isinstance(exc, ValidationError):
        add_service_errors(form, exc)
        return 400
    form.add_error(None, exc.message)
    return exc.status_code
