"""The roll-out registry in Flask-Admin (administrators only; category "Roll-out").

* agencies (``appgov_rollout_agency``), people (``appgov_rollout_person``), major systems
  (``appgov_rollout_system``) and their scope with the exclusions (``appgov_rollout_scope``,
  TP-WG-1): created, edited, each field checked with a message naming it;
* roster assignments (``appgov_rollout_assignment``): read; the roster-change cases make
  them (TP-SEED-2), an administrator may correct a row's dates;
* work-group filings (``appgov_rollout_work_group``, TP-WG-1) and unfit findings
  (``appgov_rollout_unfit``, TP-SEED-3): read, corrected;
* the bulk import (``appgov_rollout_import``, :mod:`.importer`): a dry run and the import.

Agencies are named as the host names them when it knows the code (``casehost_agencies``),
else by the registry's own names (read once per request).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_admin import BaseView, expose
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, RadioField, SelectField, SubmitField
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from .. import web
from ..access import AdminOnly, host_agencies
from ..admin import (
    INTEGER_MAX,
    AppGovModelView,
    OptionsFilterEqual,
    database_integer,
    labels,
    readable,
    strip,
)
from ..forms.builder import AppGovForm
from ..i18n import _, _l, current_locale, format_number, ngettext, template_gettext
from ..import_pages import import_upload, limits_text
from ..state import get_state
from .importer import COLUMNS, KINDS, accepted_columns, import_file
from .importer import EMAIL as EMAIL_SHAPE
from .models import (
    AGENCY_KINDS,
    LIMITS,
    PHASES,
    ROLES,
    Assignment,
    MajorSystem,
    RolloutAgency,
    RolloutPerson,
    SystemScope,
    UnfitFinding,
    WorkGroupFiling,
)

web.blueprint.add_templates(__file__)

CATEGORY = _l("Roll-out")


# -- names -------------------------------------------------------------------------------------


def _registry_names() -> dict[str, tuple[str | None, str | None]]:
    """code -> (name_zh, name_en) of the registry's agencies (one query per request)."""
    if has_request_context() and "appgov_rollout_names" in g:
        return g.appgov_rollout_names
    rows = get_state().session.execute(
        sa.select(RolloutAgency.code, RolloutAgency.name_zh, RolloutAgency.name_en)
    )
    names = {code: (zh, en) for code, zh, en in rows}
    if has_request_context():
        g.appgov_rollout_names = names
    return names


def _host_by_code() -> dict:
    if has_request_context() and "appgov_rollout_host" in g:
        return g.appgov_rollout_host
    agencies = {agency.code: agency for agency in host_agencies() or ()}
    if has_request_context():
        g.appgov_rollout_host = agencies
    return agencies


def agency_display_name(code: str | None) -> str:
    """The agency's name in the reader's language (the host's when it knows the code, else
    the registry's); the code when nobody names it. For pages officials read."""
    if not code:
        return ""
    host = _host_by_code().get(code)
    if host is not None:
        return host.name()
    zh, en = _registry_names().get(code, (None, None))
    return ((en or zh) if current_locale() == "en" else (zh or en)) or code


def agency_label(code: str | None) -> str:
    """:func:`agency_display_name` with the code, for the administrator's choices."""
    name = agency_display_name(code)
    return f"{name} ({code})" if name and name != code else name


def known_agency_codes() -> set[str]:
    return set(_registry_names()) | set(_host_by_code())


def _agency_column(view, context, model, name):
    return agency_label(getattr(model, name))


def _agency_options() -> list[tuple[str, str]]:
    return sorted(((code, agency_label(code)) for code in known_agency_codes()), key=lambda x: x[0])


def _system_choices() -> list[tuple[int, str]]:
    locale = current_locale()
    systems = get_state().session.scalars(sa.select(MajorSystem).order_by(MajorSystem.code))
    return [(s.id, f"{s.display_name(locale)} ({s.code})") for s in systems]


def _system_column(view, context, model, name):
    """The row's system (none for a course of no system); the identity map reads each once."""
    system = get_state().session.get(MajorSystem, model.system_id) if model.system_id else None
    return f"{system.display_name(current_locale())} ({system.code})" if system else ""


def _person_column(view, context, model, name):
    person = model.person
    return f"{person.name} ({person.employee_id})" if person else ""


def _choice_column(mapping):
    def column(view, context, model, name):
        value = getattr(model, name)
        return str(mapping.get(value, value or ""))

    return column


# -- validators --------------------------------------------------------------------------------


def _unique(model, column_name: str, message):
    """The value is no other record's (the form's own record excepted)."""

    def check(form, field):
        if not field.data:
            return
        column = getattr(model, column_name)
        query = sa.select(model.id).where(column == field.data)
        own = getattr(getattr(form, "_obj", None), "id", None)
        if own is not None:
            query = query.where(model.id != own)
        if get_state().session.scalar(query.limit(1)) is not None:
            raise ValidationError(str(message))

    return check


def _known_agency(form, field):
    # a code too long has its message (Length) and is no agency's: not echoed again
    if field.data and len(field.data) <= LIMITS["code"] and field.data not in known_agency_codes():
        raise ValidationError(
            _(
                "%(code)s is neither an agency of the registry nor one of the host's.",
                code=field.data,
            )
        )


def _parent_exists(form, field):
    if not field.data or len(field.data) > LIMITS["code"]:
        return
    if field.data == (form.code.data or ""):
        raise ValidationError(_("An agency cannot be its own parent agency."))
    if field.data not in _registry_names():
        raise ValidationError(
            _("The parent agency %(code)s is not in the registry.", code=field.data)
        )


def _named_unless_host(form, field):
    """The host's names win where it knows the agency; another agency needs its own."""
    code = (form.code.data or "").strip()
    if not (field.data or "").strip() and code and code not in _host_by_code():
        raise StopValidation(
            _("The host does not know the agency %(code)s: give its name.", code=code)
        )


def _once_in_scope(form, field):
    """An agency is in a system's scope once (the exclusion is a field of that row)."""
    system_id = form.system_id.data
    if not field.data or not isinstance(system_id, int) or not 0 < system_id <= INTEGER_MAX:
        return
    query = sa.select(SystemScope.id).where(
        SystemScope.system_id == system_id, SystemScope.agency_code == field.data
    )
    own = getattr(getattr(form, "_obj", None), "id", None)
    if own is not None:
        query = query.where(SystemScope.id != own)
    if get_state().session.scalar(query.limit(1)) is not None:
        raise ValidationError(_("The agency is in this system's scope already."))


def _email_shape(form, field):
    if field.data and not EMAIL_SHAPE.fullmatch(field.data):
        raise ValidationError(_("“%(value)s” is not an e-mail address.", value=field.data))


def _exclusion_complete(form, field):
    """TP-WG-1: an exclusion cites the mayor-approved case and its date, both or neither."""
    case, day = form.excluded_case_id.data, form.excluded_on.data
    if (case is None) != (day is None):
        raise ValidationError(
            _(
                "An exclusion needs both the mayor-approved case and its date "
                "(TP-WG-1); leave both empty for an agency in scope."
            )
        )


def _ends_after_start(form, field):
    if field.data and form.starts_on.data and field.data <= form.starts_on.data:
        raise ValidationError(_("The end is the first day out of the role: after the start."))


class _SystemField(SelectField):
    """One of the registry's major systems (by id)."""

    def __init__(self, label=None, validators=None, **kwargs):
        for key in ("choices", "coerce", "allow_blank"):
            kwargs.pop(key, None)
        super().__init__(
            label,
            validators,
            choices=_system_choices,
            coerce=int,
            invalid_choice_message=_l("Choose one of the systems in the list."),
            **kwargs,
        )

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError as exc:
            raise ValidationError(str(exc)) from None


# -- the model views ---------------------------------------------------------------------------


class AgencyView(AppGovModelView):
    """Agencies, institutions, enterprises, district offices and schools (TP-SEED-1: the
    headcount bounds the seed users)."""

    can_view_details = True
    column_list = ("code", "name", "kind", "parent_code", "headcount", "headcount_on", "city")
    column_searchable_list = ("code", "name_zh", "name_en")
    column_sortable_list = ("code", "kind", "parent_code", "headcount", "headcount_on", "city")
    column_default_sort = "code"
    column_filters = (
        OptionsFilterEqual(RolloutAgency.kind, _l("Kind"), options=lambda: labels(AGENCY_KINDS)),
        "parent_code",
        "city",
    )
    column_labels = {
        "code": _l("Agency code"),
        "name": _l("Name"),
        "name_zh": _l("Name (Chinese)"),
        "name_en": _l("Name (English)"),
        "city": _l("City"),
        "kind": _l("Kind"),
        "parent_code": _l("Parent agency"),
        "headcount": _l("Headcount"),
        "headcount_on": _l("Headcount counted on"),
        "created_at": _l("Created"),
        "updated_at": _l("Updated"),
    }
    column_descriptions = {
        "code": _l("The host's agency code when the host knows the agency."),
        "name_zh": _l("Only for an agency the host does not know: the host's names win."),
        "headcount": _l("Staff on the counting day; it bounds the seed users (TP-SEED-1)."),
    }
    column_formatters = {
        "name": lambda v, c, m, n: agency_label(m.code),
        "kind": _choice_column(AGENCY_KINDS),
        "parent_code": _agency_column,
    }
    column_formatters_detail = column_formatters
    form_columns = (
        "code",
        "name_zh",
        "name_en",
        "city",
        "kind",
        "parent_code",
        "headcount",
        "headcount_on",
    )
    form_overrides = {"kind": SelectField, "headcount": IntegerField}
    form_args = {
        "code": {
            "filters": [strip],
            "validators": [
                InputRequired(),
                Length(max=LIMITS["code"]),
            ],
        },
        "name_zh": {
            "filters": [strip],
            "validators": [_named_unless_host, Optional(), Length(max=LIMITS["name"])],
        },
        "name_en": {"filters": [strip], "validators": [Optional(), Length(max=LIMITS["name"])]},
        "city": {"filters": [strip], "validators": [Optional(), Length(max=40)]},
        "kind": {
            "choices": lambda: [("", _("Choose a kind"))] + labels(AGENCY_KINDS),
            "validators": [InputRequired()],
            "validate_choice": True,
        },
        "parent_code": {
            "filters": [strip],
            "validators": [Optional(), Length(max=LIMITS["code"]), _parent_exists],
        },
        "headcount": {
            "validators": [
                readable,
                database_integer,
                InputRequired(),
                NumberRange(0, INTEGER_MAX),
            ],
        },
        "headcount_on": {"validators": [InputRequired()]},
    }


class PersonView(AppGovModelView):
    """Staff: the roster's people (a seed user belongs to the agency, TP-SEED-1)."""

    can_view_details = True
    column_list = ("employee_id", "name", "agency_code", "title", "email", "unit_head", "left_on")
    column_searchable_list = ("employee_id", "name", "email", "username")
    column_filters = (
        OptionsFilterEqual(RolloutPerson.agency_code, _l("Agency"), options=_agency_options),
        "unit_head",
    )
    column_default_sort = "employee_id"
    column_labels = {
        "employee_id": _l("Employee id"),
        "name": _l("Name"),
        "agency_code": _l("Agency"),
        "title": _l("Title"),
        "email": _l("E-mail"),
        "username": _l("Username"),
        "unit_head": _l("Heads a first-level unit or above"),
        "left_on": _l("Left the agency on"),
        "created_at": _l("Created"),
        "updated_at": _l("Updated"),
    }
    column_descriptions = {
        "username": _l("The person's user name in the host, when they have one."),
        "unit_head": _l("May convene the work group (TP-WG-1)."),
    }
    column_formatters = {"agency_code": _agency_column}
    column_formatters_detail = column_formatters
    form_columns = (
        "employee_id",
        "name",
        "agency_code",
        "title",
        "email",
        "username",
        "unit_head",
        "left_on",
    )
    form_args = {
        "employee_id": {
            "filters": [strip],
            "validators": [
                InputRequired(),
                Length(max=LIMITS["employee_id"]),
            ],
        },
        "name": {"filters": [strip], "validators": [InputRequired(), Length(max=LIMITS["name"])]},
        "agency_code": {
            "filters": [strip],
            "validators": [InputRequired(), Length(max=LIMITS["code"]), _known_agency],
        },
        "title": {"filters": [strip], "validators": [Optional(), Length(max=LIMITS["title"])]},
        "email": {
            "filters": [strip],
            "validators": [Optional(), Length(max=LIMITS["email"]), _email_shape],
        },
        "username": {
            "filters": [strip],
            "validators": [
                Optional(),
                Length(max=80),
                _unique(RolloutPerson, "username", _l("Another person has this username.")),
            ],
        },
    }


class SystemView(AppGovModelView):
    """Major information systems and their phase (TP-WG-4's cadence follows it)."""

    column_list = ("code", "name_zh", "name_en", "phase", "work_group_due")
    column_searchable_list = ("code", "name_zh", "name_en")
    column_default_sort = "code"
    column_labels = {
        "code": _l("System code"),
        "name_zh": _l("Name (Chinese)"),
        "name_en": _l("Name (English)"),
        "phase": _l("Phase"),
        "work_group_due": _l("Work groups due by"),
    }
    column_descriptions = {
        "work_group_due": _l("TP-WG-1: the agencies form and file their work groups by then."),
    }
    column_formatters = {"phase": _choice_column(PHASES)}
    form_columns = ("code", "name_zh", "name_en", "phase", "work_group_due")
    form_overrides = {"phase": SelectField}
    form_args = {
        "code": {
            "filters": [strip],
            "validators": [
                InputRequired(),
                Length(max=LIMITS["code"]),
            ],
        },
        "name_zh": {"filters": [strip], "validators": [InputRequired(), Length(max=200)]},
        "name_en": {"filters": [strip], "validators": [InputRequired(), Length(max=200)]},
        "phase": {
            "choices": lambda: [("", _("Choose a phase"))] + labels(PHASES),
            "validators": [InputRequired()],
            "validate_choice": True,
        },
    }


class ScopeView(AppGovModelView):
    """The agencies in a system's scope; an exclusion cites its mayor-approved case
    (TP-WG-1: 專案簽奉市長核定)."""

    column_list = ("system_id", "agency_code", "excluded_case_id", "excluded_on", "excluded_note")
    column_default_sort = ("agency_code", False)
    column_filters = (
        OptionsFilterEqual(SystemScope.system_id, _l("System"), options=_system_choices),
        OptionsFilterEqual(SystemScope.agency_code, _l("Agency"), options=_agency_options),
    )
    column_labels = {
        "system_id": _l("System"),
        "agency_code": _l("Agency"),
        "excluded_case_id": _l("Excluded by case"),
        "excluded_on": _l("Excluded on"),
        "excluded_note": _l("Note on the exclusion"),
    }
    column_formatters = {"system_id": _system_column, "agency_code": _agency_column}
    form_columns = ("system_id", "agency_code", "excluded_case_id", "excluded_on", "excluded_note")
    form_overrides = {"system_id": _SystemField, "excluded_case_id": IntegerField}
    form_args = {
        "system_id": {"label": _l("System"), "validators": [database_integer, InputRequired()]},
        "agency_code": {
            "filters": [strip],
            "validators": [
                InputRequired(),
                Length(max=LIMITS["code"]),
                _known_agency,
                _once_in_scope,
            ],
        },
        "excluded_case_id": {
            "label": _l("Excluded by case"),
            "validators": [readable, database_integer, Optional(), NumberRange(1, INTEGER_MAX)],
            "description": _l("The mayor-approved case that took the agency out (TP-WG-1)."),
        },
        "excluded_on": {"validators": [_exclusion_complete, Optional()]},
        "excluded_note": {"filters": [strip], "validators": [Optional(), Length(max=2000)]},
    }


class AssignmentView(AppGovModelView):
    """Roster assignments: made by the roster-change cases (TP-SEED-2); an administrator
    corrects a row's dates only (never its person, role or agency)."""

    can_create = False
    can_delete = False
    can_view_details = True
    column_list = (
        "system_id",
        "agency_code",
        "person",
        "role",
        "starts_on",
        "ends_on",
        "reported_on",
        "due_on",
        "case_id",
    )
    column_default_sort = ("id", True)
    column_filters = (
        OptionsFilterEqual(Assignment.system_id, _l("System"), options=_system_choices),
        OptionsFilterEqual(Assignment.agency_code, _l("Agency"), options=_agency_options),
        OptionsFilterEqual(Assignment.role, _l("Role"), options=lambda: labels(ROLES)),
    )
    column_labels = {
        "system_id": _l("System"),
        "agency_code": _l("Agency"),
        "person": _l("Person"),
        "role": _l("Role"),
        "starts_on": _l("Starts on"),
        "ends_on": _l("Ends on"),
        "reported_on": _l("Reported on"),
        "due_on": _l("Report due on"),
        "case_id": _l("Case"),
    }
    column_descriptions = {
        "ends_on": _l("The first day out of the role; empty: still in it."),
        "due_on": _l("TP-WG-2 / TP-SEED-2: the roster_change deadline of the change."),
    }
    column_formatters = {
        "system_id": _system_column,
        "agency_code": _agency_column,
        "person": _person_column,
        "role": _choice_column(ROLES),
    }
    column_formatters_detail = column_formatters
    form_columns = ("starts_on", "ends_on", "reported_on", "due_on")
    form_args = {
        "starts_on": {"validators": [InputRequired()]},
        "ends_on": {"validators": [Optional(), _ends_after_start]},
    }

    def get_query(self):
        return super().get_query().options(sa.orm.joinedload(Assignment.person))


class WorkGroupFilingView(AppGovModelView):
    """TP-WG-1: the work-group member lists filed with the IT department."""

    column_list = ("system_id", "agency_code", "filed_on", "case_id")
    column_default_sort = ("filed_on", True)
    column_filters = (
        OptionsFilterEqual(WorkGroupFiling.system_id, _l("System"), options=_system_choices),
        OptionsFilterEqual(WorkGroupFiling.agency_code, _l("Agency"), options=_agency_options),
    )
    column_labels = {
        "system_id": _l("System"),
        "agency_code": _l("Agency"),
        "filed_on": _l("Filed on"),
        "case_id": _l("Case"),
    }
    column_formatters = {"system_id": _system_column, "agency_code": _agency_column}
    form_columns = ("system_id", "agency_code", "filed_on", "case_id")
    form_overrides = {"system_id": _SystemField, "case_id": IntegerField}
    form_args = {
        "system_id": {"label": _l("System"), "validators": [database_integer, InputRequired()]},
        "agency_code": {
            "filters": [strip],
            "validators": [InputRequired(), Length(max=LIMITS["code"]), _known_agency],
        },
        "filed_on": {"validators": [InputRequired()]},
        "case_id": {
            "label": _l("Case"),
            "validators": [readable, database_integer, Optional(), NumberRange(1, INTEGER_MAX)],
        },
    }


class UnfitFindingView(AppGovModelView):
    """TP-SEED-3: persons the IT department found unfit (its own page makes a finding); an
    administrator corrects the replacement's case and date."""

    can_create = False
    can_delete = False
    can_view_details = True
    column_list = (
        "person",
        "system_id",
        "agency_code",
        "requested_on",
        "due_on",
        "replacement_case_id",
        "replaced_on",
        "found_by",
    )
    column_details_list = (*column_list, "reason", "found_at", "overdue_flagged_at")
    column_default_sort = ("id", True)
    column_labels = {
        "person": _l("Person"),
        "system_id": _l("System"),
        "agency_code": _l("Agency"),
        "reason": _l("Reason"),
        "found_by": _l("Found by"),
        "found_at": _l("Found at"),
        "requested_on": _l("Replacement requested on"),
        "due_on": _l("Replacement due on"),
        "replacement_case_id": _l("Replacement case"),
        "replaced_on": _l("Replaced on"),
        "overdue_flagged_at": _l("Flagged overdue at"),
    }
    column_formatters = {
        "person": _person_column,
        "system_id": _system_column,
        "agency_code": _agency_column,
    }
    column_formatters_detail = column_formatters
    form_columns = ("replacement_case_id", "replaced_on")
    form_overrides = {"replacement_case_id": IntegerField}
    form_args = {
        "replacement_case_id": {
            "label": _l("Replacement case"),
            "validators": [readable, database_integer, Optional(), NumberRange(1, INTEGER_MAX)],
        },
    }

    def get_query(self):
        return super().get_query().options(sa.orm.joinedload(UnfitFinding.person))


# -- the import page ---------------------------------------------------------------------------


class RolloutImportForm(AppGovForm):
    """One file of agencies, people or a system's scope."""

    kind = RadioField(
        _l("The file holds"), choices=lambda: list(KINDS.items()), validators=[InputRequired()]
    )
    file = FileField(_l("File (.csv, .xlsx or .ods)"), validators=[FileRequired()])
    check = SubmitField(_l("Check the file only (nothing is stored)"))
    run = SubmitField(_l("Import"))


class RolloutImportView(AdminOnly, BaseView):
    """Check a file (the dry run) or import it: every rejected row listed, all or nothing."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = RolloutImportForm()
        report, status = None, 200
        if request.method == "POST":
            report, status = import_upload(
                form,
                lambda data, filename, dry_run: import_file(
                    form.kind.data, data, filename, dry_run=dry_run
                ),
            )
        body = self.render(
            "appgov/rollout/admin/import.html",
            _=template_gettext,
            ngettext=ngettext,
            format_number=format_number,
            form=form,
            action=self.get_url(".index"),
            report=report,
            kinds=KINDS,
            limits=limits_text(),
            accepted=[(KINDS[kind], accepted_columns(kind)) for kind in COLUMNS],
        )
        return body, status


def admin_views(db) -> list:
    views = [
        AgencyView(
            RolloutAgency,
            db,
            name=_l("Agencies"),
            category=CATEGORY,
            endpoint="appgov_rollout_agency",
        ),
        PersonView(
            RolloutPerson,
            db,
            name=_l("People"),
            category=CATEGORY,
            endpoint="appgov_rollout_person",
        ),
        SystemView(
            MajorSystem,
            db,
            name=_l("Major systems"),
            category=CATEGORY,
            endpoint="appgov_rollout_system",
        ),
        ScopeView(
            SystemScope,
            db,
            name=_l("System scope"),
            category=CATEGORY,
            endpoint="appgov_rollout_scope",
        ),
        AssignmentView(
            Assignment,
            db,
            name=_l("Roster assignments"),
            category=CATEGORY,
            endpoint="appgov_rollout_assignment",
        ),
        WorkGroupFilingView(
            WorkGroupFiling,
            db,
            name=_l("Work-group filings"),
            category=CATEGORY,
            endpoint="appgov_rollout_work_group",
        ),
        UnfitFindingView(
            UnfitFinding,
            db,
            name=_l("Unfit findings"),
            category=CATEGORY,
            endpoint="appgov_rollout_unfit",
        ),
    ]
    importer = RolloutImportView(
        name=_l("Import agencies and people"), category=CATEGORY, endpoint="appgov_rollout_import"
    )
    importer.description = _l(
        "Bulk import of agencies, people and system scope from CSV, XLSX or ODS: a check "
        "lists every rejected row; the import stores all or nothing."
    )
    return [*views, importer]
