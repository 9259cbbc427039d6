from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "案件"

    def ready(self):
        from common.append_only import protect

        from . import checks  # noqa: F401  (registers the calendar's horizon check)
        from .filters import watch_reference_data
        from .versions import watch_cases

        watch_reference_data()
        watch_cases()

        from common.fields import BlindIndexField, SealedField

        from .models import Party

        # The case's file of events, the district's supervision orders and their answers, and the
        # parties are append-only in the database (common.append_only): a party is corrected by a
        # row that supersedes it. A party's sealed values and their blind indexes are written again,
        # unchanged in what they say, when the keys are rotated (rotate_field_keys): the database
        # sees only ciphertext, so those columns are the ones it lets change.
        resealed = tuple(f.column for f in Party._meta.concrete_fields if isinstance(f, SealedField | BlindIndexField))
        protect(self, {"CaseEvent": (), "SupervisionOrder": (), "SupervisionAnswer": (), "Party": resealed})
