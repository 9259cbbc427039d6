"""The notice settings form: where one's notices go (e-mail, mobile) and by which channels, per kind."""

from django import forms
from django.utils.translation import gettext_lazy as _

CHANNEL_FIELDS = ("in_app", "email", "sms")


class NoticeSettingsForm(forms.Form):
    """Shapes the input only; the services decide (a muted deadline reminder is refused there)."""

    email = forms.CharField(label=_("电子邮箱"), max_length=254, required=False)
    mobile = forms.CharField(label=_("手机号码"), max_length=11, required=False)

    def __init__(self, *args, table, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        for row in table:
            for channel in CHANNEL_FIELDS:
                self.fields[f"{row['kind']}-{channel}"] = forms.BooleanField(required=False)

    def choices(self) -> dict[str, dict]:
        return {
            row["kind"]: {channel: self.cleaned_data[f"{row['kind']}-{channel}"] for channel in CHANNEL_FIELDS}
            for row in self.table
        }
