"""appgov's reactions to the steps of the roll-out's roster cases (one of the host plug-in's
``WORKFLOWS``: ``veto`` and ``after``, as :mod:`appgov_plugin.lifecycle.workflows`).

* submitting (or resubmitting) a roster and the IT department's acceptance are refused when
  the roster breaks a rule (:func:`.roster.problem`: TP-ADM-1, TP-SEED-1/3, TP-WG-1, the
  person's agency), the message naming the rule, the field and the row;
* a submission records the case's ``roster_change`` deadline (:mod:`.deadlines`);
* an accepted roster changes the registry (:func:`.roster.apply`).
"""

from __future__ import annotations

from . import deadlines, roster

TYPES = roster.TYPES
CHECKED = ("submit", "resubmit", "accept")


def veto(case, transition, user, comment="") -> str | None:
    if case.type_key not in TYPES or transition.name not in CHECKED:
        return None
    filed = None
    if transition.name == "accept" and roster.registry_kept():
        roster.lock(case)  # checked and applied under the agency and system's lock
        filed = deadlines.reported_on(case)
    error = roster.problem(case, filed)
    return str(error) if error is not None else None


def after(case, transition, user, comment="") -> None:
    if case.type_key not in TYPES:
        return
    if transition.name in ("submit", "resubmit"):
        deadlines.record_report(case)
    elif transition.name == "accept":
        roster.apply(case, deadlines.reported_on(case), getattr(user, "username", ""))
        deadlines.close_replacement(case)
