"""Form pieces every app's forms share."""

from django import forms
from django.core.exceptions import ValidationError

from .text import clean_text


class FreeTextForm(forms.Form):
    """Every text field of the form goes through common.text: NFC, line breaks as "\\n", and a field
    holding a control character is refused with a message naming it (docs/text.md)."""

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            value = data.get(name)
            if isinstance(field, forms.CharField) and isinstance(value, str):
                try:
                    data[name] = clean_text(value, field=str(field.label or name))
                except ValidationError as exc:
                    self.add_error(name, exc)
        return data
