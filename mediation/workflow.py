"""The table of transitions: for each one its name, its service, its web form and its API body.

Everything that dispatches a transition by name reads this table: the case page and its
POST (mediation/views.py), the API's transition endpoints and their URLs (api/views.py,
api/urls.py). Adding a transition: the name in casework/enums.py `Transition`, the FSM method
on casework/models.py `DisputeCase`, who may run it in casework/permissions.py `_RULES` (and
the message of any new condition in casework/services.py `_UNMET`), a service, a form
(mediation/forms.py), a body (mediation/bodies.py), and one row here.
tests/mediation/test_workflow.py checks that all of these name the same transitions.

`register` is not here: it makes a case rather than moving one (casework.services.case_register).
"""

from collections.abc import Callable
from dataclasses import dataclass

from casework import services as case_services
from casework.enums import Transition

from . import bodies, forms, services


@dataclass(frozen=True)
class Step:
    name: Transition
    service: Callable
    form: type[forms.TransitionForm]
    body: type[bodies.InputSerializer]


WORKFLOW = (
    Step(Transition.ACCEPT, case_services.case_accept, forms.AcceptForm, bodies.AcceptSerializer),
    Step(Transition.DECLINE, case_services.case_decline, forms.DeclineForm, bodies.DeclineSerializer),
    Step(Transition.ASSIGN, services.case_assign, forms.AssignForm, bodies.AssignSerializer),
    Step(Transition.REASSIGN, services.case_reassign, forms.ReassignForm, bodies.ReassignSerializer),
    Step(Transition.START, services.case_start, forms.NoteForm, bodies.NoteSerializer),
    Step(
        Transition.REACH_AGREEMENT,
        services.case_reach_agreement,
        forms.ReachAgreementForm,
        bodies.ReachAgreementSerializer,
    ),
    Step(Transition.FAIL, services.case_fail, forms.FailForm, bodies.FailSerializer),
    Step(Transition.ESCALATE, case_services.case_escalate, forms.ReasonForm, bodies.ReasonSerializer),
    Step(Transition.REFER_DISTRICT, case_services.case_refer_district, forms.ReasonForm, bodies.ReasonSerializer),
    Step(Transition.WITHDRAW, case_services.case_withdraw, forms.WithdrawForm, bodies.WithdrawSerializer),
    Step(Transition.CLOSE, case_services.case_close, forms.NoteForm, bodies.NoteSerializer),
    Step(Transition.RECUSE, services.case_recuse, forms.ReasonForm, bodies.ReasonSerializer),
)

# Each column by name: what the web pages and the API look up.
TRANSITION_SERVICES = {step.name: step.service for step in WORKFLOW}
TRANSITION_FORMS = {step.name: step.form for step in WORKFLOW}
TRANSITION_BODIES = {step.name: step.body for step in WORKFLOW}
