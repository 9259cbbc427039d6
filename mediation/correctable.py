"""The records a correction supersedes (mediation.corrections), and the recorded values of each that
a correction compares and the history shows: one list, read by the services and the pages alike."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from casework.models import Party
from casework.services import PARTICULARS

from .models import FollowUp, MediationSession

# What a party correction may change: the particulars; the role and the kind stay as registered.
PARTY_FIELDS = ("name", "id_number", "phone", "address", *PARTICULARS)
SESSION_FIELDS = ("held_at", "location", "attendees", "public", "summary", "rights_explained", "party_refused")
FOLLOW_UP_FIELDS = ("date", "method", "performed", "satisfaction", "notes")


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    model: type
    fields: tuple  # the recorded values a correction compares


KINDS = {
    "party": Kind("party", _("当事人基本情况"), Party, PARTY_FIELDS),
    "session": Kind("session", _("调解记录"), MediationSession, SESSION_FIELDS),
    "follow_up": Kind("follow_up", _("回访记录"), FollowUp, FOLLOW_UP_FIELDS),
}
