"""Model fields for personal data sealed at rest (common.crypto, docs/security.md).

`SealedField` holds a value SM4-GCM sealed in the database and plain in Python: a model, a
serializer or a template reads `party.phone` as before, and the plaintext never reaches SQL.
It answers no lookup but `isnull` and `= ""`: exact search goes through the `BlindIndexField` beside it.
"""

from django import forms
from django.core import validators
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact

from . import crypto


class _EmptyOnly(Exact):
    """`field=""`: whether there is a value (an empty value is stored empty) is all a sealed column answers."""

    def __init__(self, lhs, rhs):
        if rhs != "":
            raise FieldError(f"{lhs.target.purpose} is sealed: search it through its blind index")
        super().__init__(lhs, rhs)


class SealedField(models.TextField):
    """Text sealed with SM4-GCM under the current field key, `purpose` as associated data.

    `max_length` bounds the plaintext (validated), not the column, which holds the longer sealed form.
    """

    def __init__(self, *args, purpose: str = "", **kwargs):
        self.purpose = purpose
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _EmptyOnly
        raise FieldError(f"{self.purpose} is sealed: search it through its blind index, not `{lookup_name}`")

    def from_db_value(self, value, expression, connection):
        return crypto.unseal(value, purpose=self.purpose)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return crypto.seal(value, purpose=self.purpose)

    def formfield(self, **kwargs):
        return forms.CharField(
            label=self.verbose_name, required=not self.blank, max_length=self.max_length, validators=self.validators
        )


class BlindIndexField(models.CharField):
    """HMAC-SM3 of the normalised value of the SealedField `source`, kept up to date on every insert
    and save (bulk inserts too: Django asks each field's `pre_save` there as well)."""

    def __init__(self, *args, source: str = "", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, value in (("max_length", 64), ("blank", True), ("editable", False), ("default", "")):
            if kwargs.get(key) == value:
                del kwargs[key]
        return name, path, args, kwargs

    def for_value(self, value: str) -> str:
        """The index of `value`, to look it up by: `filter(phone_index=field.for_value("13800138000"))`."""
        return crypto.blind_index(value, purpose=self.model._meta.get_field(self.source).purpose)

    def pre_save(self, model_instance, add):
        value = self.for_value(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


class SealedQuerySet(models.QuerySet):
    """Keeps the blind indexes right on the two writes that skip a field's `pre_save`: `update()`
    and `bulk_update()` of a sealed value also write the index computed from it, so a correction
    made either way is found by exact search under its new value and no longer under the old."""

    def _indexes_of(self, names) -> list:
        return [
            f for f in self.model._meta.concrete_fields if isinstance(f, BlindIndexField) and f.source in set(names)
        ]

    def update(self, **kwargs):
        for field in self._indexes_of(kwargs):
            if field.name in kwargs:  # given with it (bulk_update's own update, below)
                continue
            value = kwargs[field.source]
            if not isinstance(value, str):
                raise FieldError(f"{field.source} is sealed: update it with a value, not an expression")
            kwargs[field.name] = field.for_value(value)
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        indexes = self._indexes_of(fields)
        for obj in objs:
            for field in indexes:
                setattr(obj, field.attname, field.for_value(getattr(obj, field.source)))
        names = list(fields) + [f.name for f in indexes if f.name not in fields]
        return super().bulk_update(objs, names, batch_size=batch_size)
