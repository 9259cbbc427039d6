"""JSON in: bounded in depth, with text that can be stored and echoed back."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from common.text import clean_text

# Deeper than any body of ours (a case with its parties is 3); beyond it the body is refused
# before anything walks it.
MAX_DEPTH = 32
TOO_DEEP = f"JSON parse error - nested deeper than {MAX_DEPTH} levels."


def _clean(value, path: str, depth: int):
    """`value` with every string through common.text (NFC; control characters, NUL and unpaired
    surrogates refused, naming the field by its path, e.g. `parties[0].name`)."""
    if depth >= MAX_DEPTH and isinstance(value, dict | list):
        raise ParseError(TOO_DEEP)
    if isinstance(value, str):
        try:
            return clean_text(value, field=path or "body")
        except DjangoValidationError as exc:  # as DRF's, under the field's path
            if not path:
                # Nothing to file it under (the body itself, or a key at its top): a plain detail.
                raise ParseError(exc.messages[0]) from exc
            raise ValidationError({path: exc.messages}) from exc
    if isinstance(value, dict):
        return {
            _clean(key, f"{path}.{key}" if path else key, depth): _clean(
                item, f"{path}.{key}" if path else key, depth + 1
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_clean(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)]
    return value


class StrictJSONParser(JSONParser):
    """JSON allows "\\u0000", "\\ud800" and control-character escapes, and any depth. PostgreSQL
    stores no NUL, an error message quoting a lone surrogate cannot be encoded, XLSX cannot hold
    most control characters, and Python's decoder recurses: refuse all of these here, for every
    endpoint, with a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
        return _clean(data, "", 0)
