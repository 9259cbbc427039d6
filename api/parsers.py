"""JSON in, with text that can be stored and echoed back."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _unstorable_text(value) -> bool:
    """A NUL character or an unpaired surrogate anywhere in the document."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_unstorable_text(k) or _unstorable_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable_text(v) for v in value)
    return False


class StrictJSONParser(JSONParser):
    """JSON allows "\\u0000" and "\\ud800" escapes. PostgreSQL stores neither (a NUL in a lookup
    is a DataError, a 500), and an error message quoting a lone surrogate cannot be encoded:
    refuse both here, for every endpoint, with a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _unstorable_text(data):
            raise ParseError("JSON parse error - text contains a NUL character or an unpaired UTF-16 surrogate.")
        return data
