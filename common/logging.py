"""Logging filters of the project."""

import logging


class RefusalsOnOneLine(logging.Filter):
    """A refused request (403, 404, 400, 405) is a line in the log, not a traceback.

    Django logs each 4xx on `django.request` with the exception attached; a refusal is the system
    working as intended, and its traceback drowned the real errors (5xx keep theirs).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
