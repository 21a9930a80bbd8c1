"""Data types of the case-host contract.

A host case-management app and its plug-ins exchange these plain objects through the
hooks in :mod:`appgov_plugin.host.hookspecs`. They carry no database state: the host
stores cases its own way and only promises the attributes listed in :class:`CaseLike`
and :class:`UserLike`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import wtforms

#: Role names every host understands. A transition names one of them as the role allowed
#: to take it. Hosts map their own roles onto these.
STANDARD_ROLES: tuple[str, ...] = (
    "agency_staff",  # 機關承辦人
    "agency_head",  # 機關首長
    "reviewer",  # 主管機關審查人員 (Tainan 智慧發展中心, Kaohsiung 資訊中心)
    "mayor",  # 市長或其授權人員
    "it_department",  # 資訊局 / 資訊中心
    "helpdesk",  # 服務台
    "mailbox_officer",  # 市長信箱承辦人
    "sysadmin",  # 系統管理者
)


#: History steps the host records itself, never the name of a workflow transition: a case
#: was opened, its owner edited its answers, its owner withdrew it, an administrator
#: corrected it (agency, owner or answers, with a reason).
OPENED, EDITED, WITHDRAWN, CORRECTED = "open", "edit", "withdraw", "correct"
HOST_STEPS: frozenset[str] = frozenset({OPENED, EDITED, WITHDRAWN, CORRECTED})


class ContractError(ValueError):
    """A plug-in broke the host contract (duplicate key, bad workflow...)."""


class CaseLike(Protocol):
    """What a host's case record offers to hooks."""

    id: Any
    type_key: str
    status: str
    agency_code: str
    data: Mapping[str, Any]
    #: The form the case was filed with (:class:`FormRef`); ``None``: not recorded.
    form_key: str | None
    form_version: int | None
    #: The username of the case's owner (who opened it).
    owner_username: str


class UserLike(Protocol):
    """What a host's user offers to hooks."""

    username: str
    role: str
    agency_code: str | None


@dataclass(frozen=True)
class Transition:
    """One edge of a workflow: ``source --name--> target``, taken by ``role`` only.

    ``guard``, when given, is asked with the case: the host offers and accepts the
    transition only while it answers true (a rule that depends on the policy in force or on
    the case's answers, e.g. KH-EVAL-2's escalation to the mayor, TN-EVAL-3's ground (4)).
    ``guard_message`` is what the host says when someone asks for the transition while the
    guard answers false (default: a generic "not available for this case").

    ``decides`` marks a decision on the case (approve, return, reject...): separation of
    duties, the host never lets a person decide a case they opened, edited or submitted, or
    took any step on in another role (the case's history says who did what; a later role
    change does not lift it).
    """

    name: str
    source: str
    target: str
    role: str
    label: Any
    comment_required: bool = False
    guard: Callable[[Any], bool] | None = None
    guard_message: Any = None
    decides: bool = False

    def available(self, case) -> bool:
        return self.guard is None or bool(self.guard(case))


@dataclass(frozen=True)
class Workflow:
    """States (key -> label), the initial state and the allowed transitions.

    The case's owner (the user who opened it, whatever their role) has two more steps:

    * ``editable_states`` -- states in which the owner edits the case's answers with the
      case type's form (default: the initial state only; ``frozenset()``: never);
    * ``withdrawable_states`` -- states from which the owner may withdraw the case to
      ``withdrawn_state``, a final state of the workflow (default: none). History is
      append-only, so withdrawing is how an owner discards a case, a draft included.

    ``private_drafts`` -- a case that has not left the initial state yet is its owner's
    draft, hidden from everyone else (default). ``False`` for a case type whose cases are
    opened *for* an agency by a rule or an authority (a forced delisting, KH-KPI-4): those
    who read the type read it from the start, and the roles acting in the initial state act.

    No transition may use a name of :data:`HOST_STEPS` (the host's own history steps).
    """

    initial: str
    states: Mapping[str, Any]
    transitions: tuple[Transition, ...]
    final_states: frozenset[str] = field(default_factory=frozenset)
    editable_states: frozenset[str] | None = None
    withdrawable_states: frozenset[str] = field(default_factory=frozenset)
    withdrawn_state: str | None = None
    private_drafts: bool = True

    def __post_init__(self):
        if self.initial not in self.states:
            raise ContractError(f"initial state {self.initial!r} is not a declared state")
        if self.editable_states is None:
            object.__setattr__(self, "editable_states", frozenset({self.initial}))
        for kind in ("final_states", "editable_states", "withdrawable_states"):
            states = frozenset(getattr(self, kind))
            object.__setattr__(self, kind, states)
            undeclared = sorted(states - set(self.states))
            if undeclared:
                raise ContractError(f"{kind} names undeclared state(s) {', '.join(undeclared)}")
        for kind in ("editable_states", "withdrawable_states"):
            final = sorted(getattr(self, kind) & self.final_states)
            if final:
                raise ContractError(f"{kind} names final state(s) {', '.join(final)}")
        if self.withdrawable_states and self.withdrawn_state is None:
            raise ContractError("withdrawable_states need a withdrawn_state")
        if self.withdrawn_state is not None and self.withdrawn_state not in self.final_states:
            raise ContractError(
                f"withdrawn_state {self.withdrawn_state!r} must be one of the final states"
            )
        seen = set()
        for t in self.transitions:
            if t.name in HOST_STEPS:
                raise ContractError(
                    f"transition name {t.name!r} is reserved for the host's own history steps "
                    f"({', '.join(sorted(HOST_STEPS))})"
                )
            for end in (t.source, t.target):
                if end not in self.states:
                    raise ContractError(f"transition {t.name!r} uses undeclared state {end!r}")
            if t.role not in STANDARD_ROLES:
                raise ContractError(
                    f"transition {t.name!r} names unknown role {t.role!r}; "
                    f"known roles: {', '.join(STANDARD_ROLES)}"
                )
            if (t.source, t.name) in seen:
                raise ContractError(f"transition {t.name!r} declared twice from {t.source!r}")
            seen.add((t.source, t.name))

    def transitions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if t.source == state]

    def transition(self, state: str, name: str) -> Transition:
        for t in self.transitions:
            if t.source == state and t.name == name:
                return t
        raise ContractError(f"no transition {name!r} from state {state!r}")

    def roles_acting_in(self, state: str) -> set[str]:
        return {t.role for t in self.transitions_from(state)}

    def states_where_acts(self, role: str) -> set[str]:
        """The states in which ``role`` has a transition to take (guards not asked)."""
        return {t.source for t in self.transitions if t.role == role}

    def label_of(self, name: str) -> Any:
        """The label of the transition called ``name`` (from any state), else ``name``."""
        return next((t.label for t in self.transitions if t.name == name), name)

    def is_editable(self, state: str) -> bool:
        """The owner may edit the case's answers in ``state``."""
        return state in self.editable_states

    def may_withdraw_from(self, state: str) -> bool:
        """The owner may withdraw the case from ``state``."""
        return state in self.withdrawable_states

    def withdrawal(self, state: str, role: str, label: Any) -> Transition:
        """The owner's withdrawal from ``state`` as a :class:`Transition` named
        :data:`WITHDRAWN` (what the transition hooks receive); ``role`` is the owner's."""
        if not self.may_withdraw_from(state):
            raise ContractError(f"no withdrawal from state {state!r}")
        return Transition(WITHDRAWN, state, self.withdrawn_state, role, label)


@dataclass(frozen=True)
class CaseDeadline:
    """A case's next due date, as a plug-in answers it to ``casehost_case_deadlines``:
    ``due_on`` (a date), ``label`` (what is due, e.g. "the authority's review of the plan,
    KH-KPI-3"), ``overdue`` (past due and not done)."""

    due_on: dt.date
    label: Any
    overdue: bool = False


@dataclass(frozen=True)
class CaseStep:
    """One step of a case's history, as the host answers ``casehost_case_history``: the
    ``transition`` name (a workflow transition's, or one of :data:`HOST_STEPS`),
    ``from_state`` (``None`` for the opening) and ``to_state``, when (``at``, an aware
    datetime), who (``actor_username``, ``actor_name`` as the host shows it, ``actor_role``
    of :data:`STANDARD_ROLES`, ``actor_agency_code``) and the ``comment`` typed with it."""

    transition: str
    from_state: str | None
    to_state: str
    at: dt.datetime
    actor_username: str
    actor_name: str
    actor_role: str
    actor_agency_code: str | None = None
    comment: str = ""


@dataclass(frozen=True)
class CaseDocument:
    """A document a plug-in issues for a case (a decision letter as PDF), as a case type's
    ``documents(case)`` answers it: the host links ``url`` on the case page, for the users
    who read the case's answers, with the words ``label`` and the format ``kind``."""

    label: Any
    url: str
    kind: str = "PDF"


@dataclass(frozen=True)
class FormRef:
    """Which form a case is filed with: the form's ``key`` and its ``version``.

    A host stores both with each case (the sample host: ``case.form_key``,
    ``case.form_version``) and hands them back to :meth:`CaseType.form_for` whenever it shows,
    edits, corrects, validates or exports the case. ``None`` means "not recorded" (a case
    type without versions, or a case stored before the host kept them).
    """

    key: str | None = None
    version: int | None = None

    def __iter__(self):
        return iter((self.key, self.version))


def _live(value, what: str, kind: type):
    """``value`` itself, or what the zero-argument callable ``value`` answers now."""
    if callable(value):
        value = value()
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise ContractError(f"{what} must be a {kind.__name__} or None, got {value!r}")
    return value


def jsonable(value: Any) -> Any:
    """``value`` as JSON-compatible data, nested lists and mappings included: dates and
    times as ISO text, decimals as text, tuples and sets as lists; the rest as it is."""
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


#: WTForms field types that hold no answer (buttons, the CSRF token).
_NOT_ANSWERS = frozenset({"SubmitField", "CSRFTokenField"})


def _no_answer(form_field) -> bool:
    return form_field.type in _NOT_ANSWERS or bool(getattr(form_field.flags, "no_answer", False))


def _revive(form_field) -> None:
    """Turn a stored JSON answer back into what the field holds (ISO text -> date /
    datetime, text -> ``Decimal``), inside row groups too (FieldList / FormField), except
    where the request itself filled the field (an edit being submitted)."""
    if isinstance(form_field, wtforms.FieldList):
        for entry in form_field.entries:
            _revive(entry)
        return
    if isinstance(form_field, wtforms.FormField):
        for subfield in form_field.form:
            _revive(subfield)
        return
    rows = getattr(form_field, "rows", None)
    if getattr(form_field.flags, "rows", False) and isinstance(rows, list | tuple):
        for row in rows:  # appgov's RowsField: each row a sub-form
            for cell in row:
                _revive(cell)
        return
    value = form_field.data
    if not isinstance(value, str) or not value or form_field.raw_data:
        return
    try:
        # DateField is a DateTimeField: asked first
        if isinstance(form_field, wtforms.DateField):
            form_field.data = dt.date.fromisoformat(value)
        elif isinstance(form_field, wtforms.DateTimeField):
            form_field.data = dt.datetime.fromisoformat(value)
        elif isinstance(form_field, wtforms.DecimalField):
            form_field.data = Decimal(value)
    except (ValueError, ArithmeticError):
        pass  # shown as stored; validation names the field if it is submitted


@dataclass(frozen=True)
class CaseType:
    """A kind of case a plug-in contributes.

    **The form.** ``form`` is a callable returning a WTForms form *instance* bound to the
    current request (a form class works). The host calls it as ``form()`` for a new case and
    as ``form(data=case.data)`` to edit or to display a stored case: the stored answers (JSON:
    dates as ISO text, decimals as text, see :meth:`data_from`) fill the form, and a factory
    may use them to keep every question the case was filed with. ``creator_role`` may open
    new cases of this type, while ``offered()`` (a zero-argument callable; default: always)
    answers true -- e.g. only where the deployment applies the rules the form serves
    (:meth:`is_offered`).

    **Versioned forms.** A case keeps the form it was filed with: the host stores the form's
    key and version with each case (:class:`FormRef`, read once when the case is opened) and
    always re-renders, validates and exports the case with that version, whatever version is
    live later.

    * ``form_version`` -- the version a new case gets: an ``int``, or a zero-argument
      callable asked each time a case is opened (a version published in an admin page takes
      effect without a restart); ``None``: not versioned.
    * ``form_key`` -- likewise, the key of the form definition a new case gets (a ``str`` or
      a callable); ``None``: the case type has one form.
    * ``form_at`` -- ``form_at(key, version)`` returns the form callable (as ``form`` above)
      for a stored key and version, the live ones included. It must answer for every
      (key, version) it ever gave out; ``None`` in either means "not recorded" (a case
      stored before the host kept them) and the plug-in picks what such cases were filed
      with. Without ``form_at``, every version is rendered by ``form``, so ``form_version``
      is then a label only. With ``form_at``, ``form`` may be ``None``.

    Hosts use the helpers, not the fields: :meth:`current_form` (the :class:`FormRef` to
    store with a new case), :meth:`new_form` (the form for a new case, of that ref),
    :meth:`stored_form` / :meth:`case_form` (the form of a stored case, of its own version),
    :meth:`form_for` (the form callable of any ref) and :meth:`data_from` (the answers to
    store).
    """

    key: str
    label: Any
    form: Callable[..., Any] | None
    workflow: Workflow
    creator_role: str = "agency_staff"
    description: Any = ""
    summary: Callable[[Mapping[str, Any]], str] | None = None
    form_version: int | Callable[[], int | None] | None = None
    form_key: str | Callable[[], str | None] | None = None
    form_at: Callable[[str | None, int | None], Callable[..., Any]] | None = None
    offered: Callable[[], bool] | None = None
    #: ``documents(case)`` -> the :class:`CaseDocument` list the plug-in issues for the case
    #: now (a decided case's letter); ``None``: none. Asked by :meth:`case_documents`.
    documents: Callable[[Any], Sequence[CaseDocument]] | None = None

    def __post_init__(self):
        if self.form is None and self.form_at is None:
            raise ContractError(f"case type {self.key!r} needs a form or a form_at")
        for name, kind in (("form_version", int), ("form_key", str)):
            value = getattr(self, name)
            if value is not None and not callable(value):
                _live(value, f"case type {self.key!r}: {name}", kind)

    def is_offered(self) -> bool:
        """Whether new cases of this type may be opened now (``offered``, asked each time;
        default: always). Cases already open stay readable and keep their workflow."""
        return self.offered is None or bool(self.offered())

    # -- which form --------------------------------------------------------------------------

    def current_form_version(self) -> int | None:
        """The version a case opened now gets (``form_version``, asked if callable)."""
        return _live(self.form_version, f"case type {self.key!r}: form_version", int)

    def current_form_key(self) -> str | None:
        """The form key a case opened now gets (``form_key``, asked if callable)."""
        return _live(self.form_key, f"case type {self.key!r}: form_key", str)

    def current_form(self) -> FormRef:
        """The key and version a case opened now gets, read once: the host renders the new
        case's form with it, validates the submission with the same ref and stores it."""
        return FormRef(self.current_form_key(), self.current_form_version())

    def form_for(self, key: str | None = None, version: int | None = None) -> Callable[..., Any]:
        """The form callable for a stored ``key`` and ``version`` (``form_at(key, version)``;
        without ``form_at``, ``form``)."""
        if self.form_at is not None:
            factory = self.form_at(key, version)
            if factory is None:
                raise ContractError(
                    f"case type {self.key!r}: form_at({key!r}, {version!r}) gave no form"
                )
            return factory
        return self.form

    def new_form(self, ref: FormRef | None = None, **kwargs):
        """The form of a new case: of ``ref`` (default: :meth:`current_form` now), called
        with ``kwargs`` (none: bound to the request). Ask :meth:`current_form` once per
        request and pass it here and to the stored case, so that both name one version."""
        ref = self.current_form() if ref is None else ref
        return self.form_for(ref.key, ref.version)(**kwargs)

    # -- answers -----------------------------------------------------------------------------

    def data_from(self, form) -> dict[str, Any]:
        """A validated form's answers as JSON-compatible data (:func:`jsonable`).

        Simple fields: dates and times as ISO text, decimals as text. Fields flagged
        ``field.flags.no_answer`` (notices, section headings), buttons and the CSRF token
        are left out. Composite answers are kept with their structure: a row group's list of
        dicts (dates and decimals in the cells made JSON-able; the field already dropped
        blank rows), an uploaded file's reference (a dict such as ``{"sha256", "name",
        "size", "type"}``) and a computed value as they are.

        A form with an ``answers()`` method (appgov's declarative forms) says itself what
        it stores: its answers are taken, and a field it leaves out (a question hidden by
        its condition) is stored as ``None``, so an edit clears the answer it had before.
        """
        names = [f.name for f in form if not _no_answer(f)]
        answers = getattr(form, "answers", None)
        if callable(answers) and not isinstance(answers, wtforms.Field):  # not a field so named
            given = answers()
            return {name: jsonable(given.get(name)) for name in names} | {
                name: jsonable(value) for name, value in given.items() if name not in names
            }
        return {f.name: jsonable(f.data) for f in form if not _no_answer(f)}

    def stored_form(
        self,
        data: Mapping[str, Any],
        key: str | None = None,
        version: int | None = None,
        **kwargs,
    ):
        """The form of a stored case, of the case's own form ``key`` and ``version``:
        ``form_for(key, version)(data=data, **kwargs)``, with JSON answers turned back into
        what the fields hold (ISO text -> date / datetime, text -> ``Decimal``; inside row
        groups too), except where the request itself filled the field (an edit being
        submitted)."""
        form = self.form_for(key, version)(data=dict(data), **kwargs)
        for form_field in form:
            _revive(form_field)
        return form

    def case_form(self, case, **kwargs):
        """:meth:`stored_form` of ``case`` (a :class:`CaseLike`): its answers, with the form
        key and version stored with it (``case.form_key``, ``case.form_version``; missing
        attributes count as not recorded)."""
        return self.stored_form(
            case.data,
            key=getattr(case, "form_key", None),
            version=getattr(case, "form_version", None),
            **kwargs,
        )

    def summarize(self, data: Mapping[str, Any]) -> str:
        return self.summary(data) if self.summary else ""

    def case_documents(self, case) -> list[CaseDocument]:
        """The documents issued for ``case`` now (``documents``, asked inside the request
        that shows the case page); empty without ``documents``."""
        return list(self.documents(case)) if self.documents else []


class CaseTypeRegistry:
    """Case types by key; a key registered twice is a contract error naming both plug-ins."""

    def __init__(self):
        self._types: dict[str, CaseType] = {}
        self._owners: dict[str, str] = {}

    def register(self, case_type: CaseType, owner: str) -> None:
        if not isinstance(case_type, CaseType):
            raise ContractError(f"{owner} registered {case_type!r}, which is not a CaseType")
        if case_type.key in self._types:
            raise ContractError(
                f"case type {case_type.key!r} is registered twice: "
                f"by {self._owners[case_type.key]} and by {owner}"
            )
        self._types[case_type.key] = case_type
        self._owners[case_type.key] = owner

    def __getitem__(self, key: str) -> CaseType:
        try:
            return self._types[key]
        except KeyError:
            raise KeyError(f"unknown case type {key!r}") from None

    def __contains__(self, key: str) -> bool:
        return key in self._types

    def __iter__(self):
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)

    def owner(self, key: str) -> str:
        return self._owners[key]
