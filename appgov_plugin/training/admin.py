"""The training records in Flask-Admin (administrators only; category "Training").

* courses (``appgov_training_course``, TP-TRN-1) and their sessions
  (``appgov_training_session``, TP-TRN-5: the lecturer from the registry): created and
  edited with the same checks as the IT department's own pages (:mod:`.courses`), each
  refusal naming its field, nothing written;
* the lecturer registry (``appgov_training_lecturer``, TP-TRN-5): passing a lecturer course
  adds a lecturer; an administrator may enter one by hand, with a note saying why;
* learning hours from elsewhere (``appgov_training_other_learning``, TN-LEARN-1);
* enrollments (``appgov_training_enrollment``): read only -- nominations, retakes, roll
  calls and results make and change them.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash
from flask_admin.helpers import is_form_submitted
from flask_login import current_user
from wtforms import DecimalField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, Optional

from ..admin import (
    INTEGER_MAX,
    AppGovModelView,
    LocalizedModelView,
    OptionsFilterEqual,
    database_integer,
    labels,
    readable,
    strip,
)
from ..i18n import _, _l, current_locale
from ..rollout.admin import (
    _agency_column,
    _agency_options,
    _choice_column,
    _person_column,
    _system_column,
)
from ..rollout.models import LIMITS, MajorSystem
from ..state import get_state
from . import courses
from .models import (
    COURSE_TYPES,
    ENROLLMENT_STATUSES,
    TRAINING_LIMITS,
    Course,
    Enrollment,
    Lecturer,
    OtherLearning,
    TrainingSession,
)

CATEGORY = _l("Training")


# -- choices and columns -----------------------------------------------------------------------


def system_choices() -> list[tuple[int | None, str]]:
    locale = current_locale()
    systems = get_state().session.scalars(sa.select(MajorSystem).order_by(MajorSystem.code))
    return [(s.id, f"{s.display_name(locale)} ({s.code})") for s in systems]


def course_choices() -> list[tuple[int, str]]:
    locale = current_locale()
    rows = get_state().session.scalars(sa.select(Course).order_by(Course.code))
    return [(c.id, f"{c.code} {c.display_title(locale)}") for c in rows]


def lecturer_choices() -> list[tuple[int, str]]:
    """Every lecturer not revoked, named with their system (the check keeps them to the
    course's system and the session's date, TP-TRN-5)."""
    rows = get_state().session.execute(
        sa.select(Lecturer, MajorSystem.code)
        .join(MajorSystem, MajorSystem.id == Lecturer.system_id)
        .where(Lecturer.revoked_on.is_(None))
        .options(sa.orm.joinedload(Lecturer.person))
        .order_by(MajorSystem.code, Lecturer.id)
    )
    return [
        (lecturer.id, f"{lecturer.person.name} ({lecturer.person.employee_id}) · {code}")
        for lecturer, code in rows
    ]


class _ChoiceField(SelectField):
    """A select of live choices (``choices()``), the first one empty when ``blank``; the
    value an int or ``None``; a value not offered refused with WTForms' plain message."""

    def __init__(self, label=None, validators=None, *, options=None, blank=None, **kwargs):
        for key in ("choices", "coerce", "allow_blank"):
            kwargs.pop(key, None)
        self._options, self._blank = options, blank

        def choices():
            items = [(value, label) for value, label in self._options()]
            return ([(None, str(self._blank))] if self._blank is not None else []) + items

        super().__init__(
            label,
            validators,
            choices=choices,
            coerce=courses.record_id,
            invalid_choice_message=_l("Choose one of the entries in the list."),
            **kwargs,
        )

    def pre_validate(self, form):
        if self.data is None and self._blank is not None:
            return
        super().pre_validate(form)  # a value not offered: WTForms' ValidationError, named


def _course_column(view, context, model, name):
    course = model.course
    return f"{course.code} {course.display_title(current_locale())}" if course else ""


def _lecturer_column(view, context, model, name):
    lecturer = model.lecturer
    return f"{lecturer.person.name} ({lecturer.person.employee_id})" if lecturer else ""


def _source_column(view, context, model, name):
    if model.enrollment_id is not None:
        return _("Passed the lecturer course")
    return _("Entered by hand")


def _actor() -> str | None:
    return getattr(current_user, "username", None)


# -- the shared checks -------------------------------------------------------------------------


class _SharedChecks:
    """After WTForms' own checks, the record's checks of :mod:`.courses` (the IT
    department's pages run the same): each problem on its field, nothing written."""

    def record_problems(self, form) -> dict[str, str]:
        raise NotImplementedError

    def validate_form(self, form) -> bool:
        if not is_form_submitted() or form.__class__ in self._helper_forms():
            return super().validate_form(form)
        # WTForms' checks without LocalizedModelView's message: one message names them all
        valid = super(LocalizedModelView, self).validate_form(form)
        # every problem at once: the record's checks on the fields WTForms let through
        problems = {
            name: message
            for name, message in self.record_problems(form).items()
            if name not in form._fields or not form._fields[name].errors
        }
        for name, message in problems.items():
            field = form._fields.get(name)
            if field is None:
                flash(message, "danger")
                continue
            field.errors = [*field.errors, message]
        names = [str(field.label.text) for field in form if field.errors]
        if names:
            flash(_("Please correct: %(fields)s.", fields=_(", ").join(names)), "danger")
        return valid and not problems


# -- the model views ---------------------------------------------------------------------------


class CourseView(_SharedChecks, AppGovModelView):
    """TP-TRN-1: courses (a run of a course), their type, system, hours and seats."""

    can_view_details = True
    column_list = ("code", "title_zh", "course_type", "system_id", "hours", "capacity")
    column_details_list = (*column_list, "title_en", "enrol_until", "results_on", "created_by")
    column_searchable_list = ("code", "title_zh", "title_en")
    column_default_sort = "code"
    column_filters = (
        OptionsFilterEqual(
            Course.course_type, _l("Course type"), options=lambda: labels(COURSE_TYPES)
        ),
        OptionsFilterEqual(Course.system_id, _l("System"), options=system_choices),
    )
    column_labels = {
        "code": _l("Course code"),
        "course_type": _l("Course type"),
        "system_id": _l("System"),
        "title_zh": _l("Title (Chinese)"),
        "title_en": _l("Title (English)"),
        "hours": _l("Course hours"),
        "capacity": _l("Seats"),
        "enrol_until": _l("Nominations until"),
        "results_on": _l("Results recorded on"),
        "created_by": _l("Created by"),
    }
    column_descriptions = {
        "hours": _l("Leave counts against these hours (TP-TRN-3); a tenth of an hour at most."),
        "capacity": _l("Every trainee attends every session; empty: no limit."),
        "system_id": _l("Required for the system-administrator, seed-user and lecturer courses."),
    }
    column_formatters = {"course_type": _choice_column(COURSE_TYPES), "system_id": _system_column}
    column_formatters_detail = column_formatters
    form_columns = courses.COURSE_FIELDS
    form_overrides = {
        "course_type": SelectField,
        "system_id": _ChoiceField,
        "capacity": IntegerField,
        "hours": DecimalField,
    }
    form_args = {
        "code": {
            "filters": [strip],
            "validators": [InputRequired(), Length(max=TRAINING_LIMITS["code"])],
        },
        "course_type": {
            "choices": lambda: [("", _("Choose a course type"))] + labels(COURSE_TYPES),
            "validators": [InputRequired()],
            "validate_choice": True,
        },
        "system_id": {
            "label": _l("System"),
            "options": system_choices,
            "blank": _l("No system"),
            "validators": [Optional()],
        },
        "title_zh": {"filters": [strip]},
        # Optional first: it ends the checks of an empty input (Flask-Admin appends
        # InputRequired for a column that is NOT NULL)
        "title_en": {"filters": [strip], "validators": [Optional()]},
        "hours": {"validators": [readable, InputRequired()]},
        "capacity": {
            "label": _l("Seats"),
            "validators": [Optional(), readable, database_integer],
        },
    }

    def record_problems(self, form) -> dict[str, str]:
        values = {name: form[name].data for name in courses.COURSE_FIELDS}
        return courses.course_problems(values, getattr(form, "_obj", None))

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.created_by = _actor()
        model.title_en = model.title_en or ""


class SessionView(_SharedChecks, AppGovModelView):
    """A course's sessions: date, time, hours, place or URL, and the lecturer from the
    registry (TP-TRN-5)."""

    can_view_details = True
    column_list = ("course", "on", "starts_at", "ends_at", "hours", "place", "url", "lecturer")
    column_default_sort = ("on", True)
    column_filters = (
        OptionsFilterEqual(TrainingSession.course_id, _l("Course"), options=course_choices),
    )
    column_labels = {
        "course": _l("Course"),
        "course_id": _l("Course"),
        "on": _l("Date"),
        "starts_at": _l("Starts at"),
        "ends_at": _l("Ends at"),
        "hours": _l("Hours"),
        "place": _l("Place"),
        "url": _l("Online address (URL)"),
        "lecturer": _l("Lecturer"),
        "lecturer_id": _l("Lecturer"),
    }
    column_descriptions = {
        "lecturer_id": _l(
            "TP-TRN-5: a lecturer of the registry, qualified for the course's system on the "
            "session's date."
        ),
    }
    column_formatters = {
        "course": _course_column,
        "lecturer": _lecturer_column,
        "starts_at": lambda v, c, m, n: m.starts_at.strftime("%H:%M"),
        "ends_at": lambda v, c, m, n: m.ends_at.strftime("%H:%M"),
    }
    column_formatters_detail = column_formatters
    form_columns = ("course_id", *courses.SESSION_FIELDS)
    form_overrides = {
        "course_id": _ChoiceField,
        "lecturer_id": _ChoiceField,
        "starts_at": TimeField,
        "ends_at": TimeField,
        "hours": DecimalField,
    }
    form_args = {
        "course_id": {
            "label": _l("Course"),
            "options": course_choices,
            "validators": [InputRequired()],
        },
        "starts_at": {"format": "%H:%M", "validators": [readable, InputRequired()]},
        "ends_at": {"format": "%H:%M", "validators": [readable, InputRequired()]},
        "hours": {"validators": [readable, InputRequired()]},
        "place": {"filters": [strip]},
        "url": {"filters": [strip]},
        "lecturer_id": {
            "label": _l("Lecturer"),
            "options": lecturer_choices,
            "blank": _l("Not chosen yet"),
            "validators": [Optional()],
        },
    }

    def record_problems(self, form) -> dict[str, str]:
        course_id = form.course_id.data
        course = get_state().session.get(Course, course_id) if course_id else None
        values = {name: form[name].data for name in courses.SESSION_FIELDS}
        return courses.session_problems(course, values, getattr(form, "_obj", None))

    def on_model_change(self, form, model, is_created):
        model.place = model.place or None
        model.url = model.url or None

    def get_query(self):
        return (
            super()
            .get_query()
            .options(
                sa.orm.joinedload(TrainingSession.course),
                sa.orm.joinedload(TrainingSession.lecturer).joinedload(Lecturer.person),
            )
        )


class _PersonByEmployeeId:
    """A form's ``employee_id`` (not a column) names the record's person of the registry."""

    def on_form_prefill(self, form, id):
        record = self.get_one(id)
        if record is not None and record.person is not None:
            form.employee_id.data = record.person.employee_id

    def on_model_change(self, form, model, is_created):
        # the new record is in the session already, without its person yet
        with get_state().session.no_autoflush:
            person = courses.person_by_employee_id(form.employee_id.data)
        model.person_id = person.id
        if is_created:
            model.created_by = _actor()


class LecturerView(_PersonByEmployeeId, _SharedChecks, AppGovModelView):
    """TP-TRN-5: the lecturer registry, per system. Passing a lecturer course adds a lecturer;
    one entered here by hand needs a note."""

    can_view_details = True
    column_list = ("person", "agency", "system_id", "qualified_on", "source", "revoked_on")
    column_details_list = (*column_list, "note", "created_by", "created_at")
    column_default_sort = ("qualified_on", True)
    column_filters = (OptionsFilterEqual(Lecturer.system_id, _l("System"), options=system_choices),)
    column_labels = {
        "person": _l("Person"),
        "agency": _l("Agency"),
        "employee_id": _l("Employee id"),
        "system_id": _l("System"),
        "qualified_on": _l("Qualified on"),
        "source": _l("Source"),
        "revoked_on": _l("Revoked on"),
        "note": _l("Note"),
        "created_by": _l("Created by"),
        "created_at": _l("Created"),
    }
    column_descriptions = {
        "note": _l("Why the person is entered by hand, without a passed lecturer course."),
        "revoked_on": _l("The first day the person no longer teaches this system's courses."),
    }
    column_formatters = {
        "person": _person_column,
        "agency": lambda v, c, m, n: _agency_column(v, c, m.person, "agency_code"),
        "system_id": _system_column,
        "source": _source_column,
    }
    column_formatters_detail = column_formatters
    form_columns = ("employee_id", "system_id", "qualified_on", "revoked_on", "note")
    form_extra_fields = {
        "employee_id": StringField(
            _l("Employee id"),
            filters=[strip],
            validators=[InputRequired(), Length(max=LIMITS["employee_id"])],
        )
    }
    form_overrides = {"system_id": _ChoiceField}
    form_args = {
        "system_id": {
            "label": _l("System"),
            "options": system_choices,
            "validators": [database_integer, InputRequired()],
        },
        "qualified_on": {"validators": [InputRequired()]},
        "revoked_on": {"validators": [Optional()]},
        "note": {"filters": [strip], "validators": [Optional()]},
    }

    def record_problems(self, form) -> dict[str, str]:
        values = {
            name: form[name].data
            for name in ("employee_id", "system_id", "qualified_on", "revoked_on", "note")
        }
        return courses.lecturer_problems(values, getattr(form, "_obj", None))

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        model.note = model.note or None

    def get_query(self):
        return super().get_query().options(sa.orm.joinedload(Lecturer.person))


class OtherLearningView(_PersonByEmployeeId, _SharedChecks, AppGovModelView):
    """TN-LEARN-1: learning hours from elsewhere (another institution's course, a
    conference), so a person's yearly hours count every source."""

    column_list = ("person", "on", "hours", "title", "source")
    column_default_sort = ("on", True)
    column_searchable_list = ("title", "source")
    column_labels = {
        "person": _l("Person"),
        "employee_id": _l("Employee id"),
        "on": _l("Date"),
        "hours": _l("Hours"),
        "title": _l("Title"),
        "source": _l("Where it was learned"),
    }
    column_formatters = {"person": _person_column}
    form_columns = ("employee_id", "on", "hours", "title", "source")
    form_extra_fields = LecturerView.form_extra_fields
    form_overrides = {"hours": DecimalField}
    form_args = {
        "on": {"validators": [InputRequired()]},
        "hours": {"validators": [readable, InputRequired()]},
        "title": {"filters": [strip]},
        "source": {"filters": [strip]},
    }

    def record_problems(self, form) -> dict[str, str]:
        values = {
            name: form[name].data for name in ("employee_id", "on", "hours", "title", "source")
        }
        return courses.learning_problems(values)

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        model.source = model.source or None

    def get_query(self):
        return super().get_query().options(sa.orm.joinedload(OtherLearning.person))


class EnrollmentView(AppGovModelView):
    """Enrollments, read only: nominations (TP-TRN-1), retakes (TP-TRN-4), roll calls
    (TP-TRN-3) and results make and change them."""

    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    column_list = ("course", "person", "agency_code", "status", "dismissed_on", "result_on")
    column_details_list = (
        *column_list,
        "dismissal_rule",
        "dismissal_reason",
        "case_id",
        "retake_of_id",
        "created_by",
        "created_at",
    )
    column_default_sort = ("id", True)
    column_filters = (
        OptionsFilterEqual(
            Enrollment.status, _l("Status"), options=lambda: labels(ENROLLMENT_STATUSES)
        ),
        OptionsFilterEqual(Enrollment.agency_code, _l("Agency"), options=_agency_options),
        OptionsFilterEqual(Enrollment.course_id, _l("Course"), options=course_choices),
    )
    column_labels = {
        "course": _l("Course"),
        "person": _l("Person"),
        "agency_code": _l("Agency"),
        "status": _l("Status"),
        "dismissed_on": _l("Dismissed on"),
        "dismissal_rule": _l("Rule"),
        "dismissal_reason": _l("Reason"),
        "result_on": _l("Result recorded on"),
        "case_id": _l("Case"),
        "retake_of_id": _l("Retake of enrollment"),
        "created_by": _l("Created by"),
        "created_at": _l("Created"),
    }
    column_formatters = {
        "course": _course_column,
        "person": _person_column,
        "agency_code": _agency_column,
        "status": _choice_column(ENROLLMENT_STATUSES),
    }
    column_formatters_detail = column_formatters

    def get_query(self):
        return (
            super()
            .get_query()
            .options(sa.orm.joinedload(Enrollment.course), sa.orm.joinedload(Enrollment.person))
        )


def admin_views(db) -> list:
    return [
        CourseView(
            Course, db, name=_l("Courses"), category=CATEGORY, endpoint="appgov_training_course"
        ),
        SessionView(
            TrainingSession,
            db,
            name=_l("Course sessions"),
            category=CATEGORY,
            endpoint="appgov_training_session",
        ),
        LecturerView(
            Lecturer,
            db,
            name=_l("Lecturer registry"),
            category=CATEGORY,
            endpoint="appgov_training_lecturer",
        ),
        OtherLearningView(
            OtherLearning,
            db,
            name=_l("Other learning hours"),
            category=CATEGORY,
            endpoint="appgov_training_other_learning",
        ),
        EnrollmentView(
            Enrollment,
            db,
            name=_l("Enrollments"),
            category=CATEGORY,
            endpoint="appgov_training_enrollment",
        ),
    ]


__all__ = ["INTEGER_MAX", "admin_views"]
