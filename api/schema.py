"""What the published schema says beyond what drf-spectacular reads off the serializers and filters:
the rules every request already obeys, so that a client (or a fuzzer) built from the schema sends
what is accepted and is told what is refused.

- Free text in a JSON body: no control character but tab and line feed (a carriage return is read
  as a line break), no unpaired surrogate (common.text). Keys are held to the same rule, which
  OpenAPI 3.0 has no word for (`propertyNames`): such a key is a 400 like any refused text.
- A text query parameter (a filter, the cursor) is never empty or blank: that is a 400, not "any".
- `page_size` is between 1 and the pagination's maximum.
"""

from .views import Cursor

# The characters common.text refuses, as a JSON Schema pattern (carriage return excepted: it is
# folded). Unpaired surrogates are refused too, but a pattern cannot name them: validators that
# read patterns as Unicode (ECMA 262 with the u flag, Rust's regex) have no such characters.
REFUSED = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
TEXT = rf"^[^{REFUSED}]*$"
# Not blank: some character that is not white space (the check strips the value first).
NON_BLANK = r"\S"
UNCONSTRAINED_TEXT = {"enum", "format", "pattern", "$ref", "allOf", "oneOf", "anyOf"}


def _free_text(schema: dict) -> bool:
    return schema.get("type") == "string" and not UNCONSTRAINED_TEXT & set(schema)


def _request_components(result: dict) -> set[str]:
    """The components a request body uses, directly or through another component."""
    components = result["components"]["schemas"]
    found, pending = set(), []

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                pending.append(node["$ref"].rsplit("/", 1)[1])
            for value in node.values():
                refs(value)
        elif isinstance(node, list):
            for value in node:
                refs(value)

    for operations in result["paths"].values():
        for operation in operations.values():
            refs(operation.get("requestBody", {}))
    while pending:
        name = pending.pop()
        if name not in found and name in components:
            found.add(name)
            refs(components[name])
    return found


def _text_properties(schema: dict) -> None:
    for prop in schema.get("properties", {}).values():
        if _free_text(prop):
            prop["pattern"] = TEXT
        elif prop.get("type") == "array" and _free_text(prop.get("items", {})):
            prop["items"]["pattern"] = TEXT


def text_rules(result, generator, request, public):
    components = result["components"]["schemas"]
    for name in _request_components(result):
        schema = components[name]
        if schema.get("type") == "object":
            _text_properties(schema)
    for operations in result["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                schema = parameter["schema"]
                if parameter["name"] == Cursor.page_size_query_param:
                    schema.update(minimum=1, maximum=Cursor.max_page_size)
                elif _free_text(schema) and parameter["name"] != "ordering":
                    schema["pattern"] = NON_BLANK
    return result
