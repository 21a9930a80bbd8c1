"""The courses' pages (issue 13, sections 1 and 5: TP-TRN-1, TP-TRN-5, TP-TRN-6).

* ``/appgov/training/`` (``appgov.training_courses``) -- the courses: filters by year (of the
  first session, or of the nomination deadline before there is one), type and system; the
  seats and how many are taken (an agency's staff and head see how many of *their own*
  people are on each course, not the others'); paged.
* ``/appgov/training/courses/new`` -- the IT department (and the administrator) create a
  course, with the checks of :mod:`.courses` (the Flask-Admin views run the same).
* ``/appgov/training/courses/<id>`` (``appgov.training_course``) -- one course: its sessions
  (date, ROC in zh; time; place or URL; lecturer), its trainees with their status
  (:func:`.attendance.summaries`: leave against the threshold, dismissal with its reason and
  rule); the roll call of each session and the results page for the keepers, the nomination
  (the host's new-case page of the enrolment case type) for an agency. An agency sees its own
  trainees only. The keepers add a session here (``.../sessions``, POST), the lecturer chosen
  from the registry (TP-TRN-5).
* ``/appgov/training/lecturers`` (``appgov.training_lecturers``) -- the lecturer registry per
  system (name, agency, qualified on, source; never an e-mail): agencies read it too, since
  they hire lecturers from it (TP-TRN-5).
* ``/appgov/training/elearning-import`` (``appgov.training_elearning_import``) -- the IT
  department and the administrator import the e-learning platform's completions
  (:mod:`.elearning`, TP-TRN-6): a check lists every row to store and every rejected row.

Who: the administrator and the IT department (:func:`.access.keeps_courses`; the IT
department sees the trainees of its city's agencies), an agency's staff and head (their own
agency's trainees); every other role 403. A course that does not exist answers 404. The
statements of each page do not grow with the courses, sessions or trainees shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Optional

from ..access import AGENCY_ROLES
from ..forms.builder import AppGovForm
from ..forms.fields import DecimalNumberField, TaiwanDateField, WholeNumberField
from ..i18n import _, _l, current_locale, format_date, format_number
from ..import_columns import accepted_columns
from ..import_pages import ImportFileForm, import_upload, limits_text
from ..paging import Paging
from ..rollout.admin import agency_display_name
from ..rollout.models import MajorSystem, RolloutPerson
from ..rollout.views import new_case_url
from ..state import get_state
from ..web import blueprint
from . import courses as logic
from . import elearning
from .access import agency_scope, keeps_courses, own_person
from .case_types import ENROLLMENT
from .enrollment import SEATED
from .models import (
    COURSE_TYPES,
    ENROLLMENT_STATUSES,
    TRAINING_LIMITS,
    Course,
    Enrollment,
    Lecturer,
    TrainingSession,
)

blueprint.add_templates(__file__)

#: Courses and lecturers per page.
PER_PAGE = 50


# -- who reads what ----------------------------------------------------------------------------


def _role() -> str | None:
    return getattr(current_user, "role", None)


def reads_courses(user=None) -> bool:
    """The keepers (administrator, IT department), the agencies' staff and heads, and a
    person of the registry with a login (the navigation's readers, :func:`.access.reads_training`:
    they see the courses and, of the trainees, themselves)."""
    if not (current_user and current_user.is_authenticated):
        return False
    return keeps_courses() or _role() in AGENCY_ROLES or own_person() is not None


def reader_scope() -> set[str] | None:
    """The agencies whose trainees the reader sees (``None``: all); 403 for the others."""
    if not reads_courses():
        abort(
            403,
            description=_(
                "The training courses are for the IT department, the administrator and the "
                "agencies' staff."
            ),
        )
    return agency_scope()


def require_keeper() -> None:
    if not keeps_courses():
        abort(403, description=_("The IT department and the administrator keep the courses."))


def _guarded(endpoint: str, **values) -> str | None:
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None


def short_date(day: dt.date | None) -> str:
    return format_date(day, style="short") if day else ""


def hours_text(value) -> str:
    return format_number(value) if value is not None else ""


def _systems() -> list[MajorSystem]:
    return list(get_state().session.scalars(sa.select(MajorSystem).order_by(MajorSystem.code)))


# -- the course list ---------------------------------------------------------------------------


@dataclass
class CourseRow:
    course: Course
    first_on: dt.date | None
    sessions: int
    taken: int


def _first_sessions():
    return (
        sa.select(
            TrainingSession.course_id.label("course_id"),
            sa.func.min(TrainingSession.on).label("first_on"),
            sa.func.count(TrainingSession.id).label("sessions"),
        )
        .group_by(TrainingSession.course_id)
        .subquery()
    )


def _seats(agency_code: str | None):
    query = sa.select(
        Enrollment.course_id.label("course_id"), sa.func.count(Enrollment.id).label("taken")
    ).where(Enrollment.status.in_(SEATED))
    if agency_code is not None:
        query = query.where(Enrollment.agency_code == agency_code)
    return query.group_by(Enrollment.course_id).subquery()


def list_filters(args, systems: list[MajorSystem]) -> tuple[dict, list[str]]:
    chosen = {"year": None, "type": None, "system": None, "page": 1}
    errors = []
    year = (args.get("year") or "").strip()
    if year:
        if year.isascii() and year.isdigit() and 1912 <= int(year) <= 9999:
            chosen["year"] = int(year)
        else:
            errors.append(_("Year: “%(value)s” is not a year, e.g. 2026.", value=year[:20]))
    kind = args.get("type") or ""
    if kind:
        if kind in COURSE_TYPES:
            chosen["type"] = kind
        else:
            errors.append(_("Course type: choose one of the list."))
    system = args.get("system") or ""
    if system:
        chosen["system"] = next((s for s in systems if s.code == system), None)
        if chosen["system"] is None:
            errors.append(_("System: choose one of the list."))
    page = args.get("page") or "1"
    chosen["page"] = int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 10**6 else 1
    return chosen, errors


def _kept(chosen: dict) -> dict:
    kept = {}
    if chosen["year"]:
        kept["year"] = chosen["year"]
    if chosen["type"]:
        kept["type"] = chosen["type"]
    if chosen["system"] is not None:
        kept["system"] = chosen["system"].code
    return kept


def course_rows(chosen: dict, own_agency: str | None) -> tuple[list[CourseRow], int, list[int]]:
    """The page of courses the filters choose, the count of them all, and the years there
    are courses of (three statements, whatever the courses)."""
    session = get_state().session
    first, seats = _first_sessions(), _seats(own_agency)
    day = sa.func.coalesce(first.c.first_on, Course.enrol_until)
    query = (
        sa.select(
            Course,
            first.c.first_on,
            sa.func.coalesce(first.c.sessions, 0),
            sa.func.coalesce(seats.c.taken, 0),
        )
        .outerjoin(first, first.c.course_id == Course.id)
        .outerjoin(seats, seats.c.course_id == Course.id)
    )
    years_query = (
        sa.select(sa.extract("year", day).label("year"))
        .select_from(Course)
        .outerjoin(first, first.c.course_id == Course.id)
        .where(day.is_not(None))
        .distinct()
    )
    if chosen["year"]:
        start = dt.date(chosen["year"], 1, 1)
        end = dt.date(chosen["year"] + 1, 1, 1) if chosen["year"] < 9999 else dt.date.max
        query = query.where(day >= start, day < end)
    if chosen["type"]:
        query = query.where(Course.course_type == chosen["type"])
    if chosen["system"] is not None:
        query = query.where(Course.system_id == chosen["system"].id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    query = (
        query.order_by(day.is_(None), day.desc(), Course.code)
        .limit(PER_PAGE)
        .offset((chosen["page"] - 1) * PER_PAGE)
    )
    rows = [CourseRow(c, f, int(n), int(t)) for c, f, n, t in session.execute(query)]
    years = sorted({int(y) for (y,) in session.execute(years_query) if y is not None}, reverse=True)
    return rows, int(total), years


@blueprint.get("/training/")
@login_required
def training_courses():
    reader_scope()
    systems = _systems()
    chosen, errors = list_filters(request.args, systems)
    own = getattr(current_user, "agency_code", None) if _role() in AGENCY_ROLES else None
    agency_role = _role() in AGENCY_ROLES
    rows, total, years = (
        ([], 0, []) if errors else course_rows(chosen, own if agency_role else None)
    )
    if agency_role and own is None:
        rows = [CourseRow(r.course, r.first_on, r.sessions, 0) for r in rows]
    paging = Paging(chosen["page"], PER_PAGE, total)
    kept = _kept(chosen)
    body = render_template(
        "appgov/training/courses_list.html",
        rows=rows,
        paging=paging,
        years=years,
        systems={s.id: s for s in systems},
        system_list=systems,
        chosen=chosen,
        errors=errors,
        kept=kept,
        types=COURSE_TYPES,
        agency_role=agency_role,
        keeper=keeps_courses(),
        locale=current_locale(),
        short_date=short_date,
        hours_text=hours_text,
        page_url=lambda number: url_for("appgov.training_courses", **kept, page=number),
        new_url=url_for("appgov.training_course_new") if keeps_courses() else None,
        lecturers_url=url_for("appgov.training_lecturers"),
        import_url=url_for("appgov.training_elearning_import") if keeps_courses() else None,
    )
    return body, 400 if errors else 200


# -- creating a course -------------------------------------------------------------------------


class CourseForm(AppGovForm):
    code = StringField(_l("Course code"), validators=[InputRequired()])
    course_type = SelectField(_l("Course type"), validators=[InputRequired()])
    system_id = SelectField(_l("System"), coerce=logic.record_id, validate_choice=False)
    title_zh = StringField(_l("Title (Chinese)"), validators=[InputRequired()])
    title_en = StringField(_l("Title (English)"))
    hours = DecimalNumberField(_l("Course hours"), validators=[InputRequired()])
    capacity = WholeNumberField(_l("Seats"), validators=[Optional()])
    enrol_until = TaiwanDateField(_l("Nominations until"), validators=[Optional()])


def _course_form() -> CourseForm:
    form = CourseForm()
    form.course_type.choices = [("", _("Choose a course type"))] + [
        (key, str(label)) for key, label in COURSE_TYPES.items()
    ]
    form.system_id.choices = [("", _("No system"))] + [
        (s.id, f"{s.display_name(current_locale())} ({s.code})") for s in _systems()
    ]
    return form


def apply_problems(form, problems: dict[str, str]) -> None:
    """Each problem of :mod:`.courses` on its field of ``form``."""
    for name, message in problems.items():
        field = form._fields.get(name)
        if field is None:  # the course itself (an e-learning course has no sessions)
            form.form_errors = [*form.form_errors, message]
        elif not field.errors:  # WTForms' own message stands where it found one
            field.errors = [message]


@blueprint.route("/training/courses/new", methods=["GET", "POST"])
@login_required
def training_course_new():
    require_keeper()
    form = _course_form()
    if request.method == "POST":
        session = get_state().session
        valid = form.validate()
        values = {name: form[name].data for name in logic.COURSE_FIELDS}
        values["code"] = (values["code"] or "").strip()
        try:
            if not valid:  # every problem at once: the checks of the fields WTForms passed
                raise logic.CourseError(logic.course_problems(values))
            course = logic.create_course(values, getattr(current_user, "username", None))
            session.commit()
        except logic.CourseError as error:
            session.rollback()
            apply_problems(form, error.problems)
        except BaseException:
            session.rollback()
            raise
        else:
            flash(_("The course is created."), "success")
            return redirect(url_for("appgov.training_course", course_id=course.id), code=303)
        return render_template("appgov/training/courses_new.html", form=form), 400
    return render_template("appgov/training/courses_new.html", form=form)


# -- one course --------------------------------------------------------------------------------


class SessionForm(AppGovForm):
    on = TaiwanDateField(_l("Date"), validators=[InputRequired()])
    starts_at = TimeField(_l("Starts at"), format="%H:%M", validators=[InputRequired()])
    ends_at = TimeField(_l("Ends at"), format="%H:%M", validators=[InputRequired()])
    hours = DecimalNumberField(_l("Hours"), validators=[InputRequired()])
    place = StringField(_l("Place"))
    url = StringField(_l("Online address (URL)"))
    lecturer_id = SelectField(_l("Lecturer"), coerce=logic.record_id, validate_choice=False)


def _session_form(course: Course, formdata=None) -> SessionForm:
    form = SessionForm() if formdata is None else SessionForm(formdata=formdata)
    form.lecturer_id.choices = [("", _("Not chosen yet"))] + [
        (lecturer.id, f"{lecturer.person.name} ({lecturer.person.employee_id})")
        for lecturer in logic.qualified_lecturers(course)
    ]
    return form


def visible_course(course_id: int) -> tuple[Course, set[str] | None]:
    scope = reader_scope()
    course = get_state().session.get(Course, course_id) if 0 < course_id < 2**31 else None
    if course is None:
        abort(404)
    return course, scope


def trainees(course: Course, scope: set[str] | None) -> list[Enrollment]:
    """The course's trainees the reader sees (their people loaded; one statement)."""
    query = (
        sa.select(Enrollment)
        .join(RolloutPerson, RolloutPerson.id == Enrollment.person_id)
        .options(sa.orm.contains_eager(Enrollment.person))
        .where(Enrollment.course_id == course.id)
        .order_by(Enrollment.agency_code, RolloutPerson.name, Enrollment.id)
    )
    if scope is not None:
        person = None if scope else own_person()
        if person is not None:  # a person of the registry reads their own enrollment only
            query = query.where(Enrollment.person_id == person.id)
        elif not scope:
            return []
        else:
            query = query.where(Enrollment.agency_code.in_(sorted(scope)))
    return list(get_state().session.scalars(query))


def trainee_summaries(enrollments: list[Enrollment]) -> dict:
    """TP-TRN-3: each trainee's attendance summary (:func:`.attendance.summaries`, a
    constant number of statements), or ``{}`` where it is not installed."""
    if not enrollments:
        return {}
    try:
        from .attendance import summaries
    except ImportError:  # the attendance capability is not there: the recorded status shows
        return {}
    return summaries(enrollments)


def course_sessions(course: Course) -> list[TrainingSession]:
    return list(
        get_state().session.scalars(
            sa.select(TrainingSession)
            .where(TrainingSession.course_id == course.id)
            .options(sa.orm.joinedload(TrainingSession.lecturer).joinedload(Lecturer.person))
            .order_by(TrainingSession.on, TrainingSession.starts_at, TrainingSession.id)
        )
    )


def _course_page(course: Course, scope, form: SessionForm | None, status: int = 200):
    session = get_state().session
    agency_role = _role() in AGENCY_ROLES
    own = getattr(current_user, "agency_code", None)
    rows = trainees(course, scope)
    summaries = trainee_summaries(rows)
    taken_query = sa.select(sa.func.count(Enrollment.id)).where(
        Enrollment.course_id == course.id, Enrollment.status.in_(SEATED)
    )
    taken = (
        int(session.scalar(taken_query) or 0)
        if not agency_role
        else len([r for r in rows if r.status in SEATED])
    )
    keeper = keeps_courses()
    sessions = course_sessions(course)
    system = session.get(MajorSystem, course.system_id) if course.system_id else None
    nominate = new_case_url(ENROLLMENT, own) if agency_role and own else None
    transcript = "appgov.training_transcript" in current_app.view_functions
    body = render_template(
        "appgov/training/courses_course.html",
        course=course,
        system=system,
        sessions=sessions,
        trainees=rows,
        summaries=summaries,
        taken=taken,
        agency_role=agency_role,
        keeper=keeper,
        statuses=ENROLLMENT_STATUSES,
        types=COURSE_TYPES,
        form=form,
        locale=current_locale(),
        short_date=short_date,
        hours_text=hours_text,
        agency_label=agency_display_name,
        dismissal=_dismissal_text,
        roll_call_url=(
            (lambda s: url_for("appgov.training_roll_call", session_id=s.id))
            if keeper and "appgov.training_roll_call" in current_app.view_functions
            else None
        ),
        results_url=_guarded("appgov.training_results", course_id=course.id) if keeper else None,
        transcript_url=(
            (lambda person_id: url_for("appgov.training_transcript", person_id=person_id))
            if transcript
            else None
        ),
        nominate_url=nominate,
        admin_url=_admin_course_url(course),
    )
    return body, status


def _dismissal_text(enrollment, summary) -> str:
    if summary is not None and hasattr(summary, "reason_text"):
        text = summary.reason_text()
        if text:
            return text
    reason = enrollment.dismissal_reason
    if not reason:
        return ""
    try:
        from .attendance import dismissal_text
    except ImportError:
        return reason
    return dismissal_text(enrollment) or reason


def _admin_course_url(course: Course) -> str | None:
    from ..rollout.views import admin_url

    return admin_url(Course, course.id)


@blueprint.get("/training/courses/<int:course_id>")
@login_required
def training_course(course_id: int):
    course, scope = visible_course(course_id)
    form = _session_form(course, formdata=None) if keeps_courses() else None
    return _course_page(course, scope, form)


@blueprint.post("/training/courses/<int:course_id>/sessions")
@login_required
def training_session_new(course_id: int):
    course, scope = visible_course(course_id)
    require_keeper()
    form = _session_form(course)
    session = get_state().session
    valid = form.validate()
    values = {name: form[name].data for name in logic.SESSION_FIELDS}
    try:
        if not valid:  # every problem at once: the checks of the fields WTForms passed
            raise logic.CourseError(logic.session_problems(course, values))
        logic.add_session(course, values)
        session.commit()
    except logic.CourseError as error:
        session.rollback()
        apply_problems(form, error.problems)
    except BaseException:
        session.rollback()
        raise
    else:
        flash(_("The session is added."), "success")
        return redirect(url_for("appgov.training_course", course_id=course.id), code=303)
    return _course_page(course, scope, form, 400)


# -- the lecturer registry ---------------------------------------------------------------------


@blueprint.get("/training/lecturers")
@login_required
def training_lecturers():
    reader_scope()
    systems = _systems()
    errors = []
    chosen_system = None
    code = request.args.get("system") or ""
    if code:
        chosen_system = next((s for s in systems if s.code == code), None)
        if chosen_system is None:
            errors.append(_("System: choose one of the list."))
    page = request.args.get("page") or "1"
    page = int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 10**6 else 1
    session = get_state().session
    query = (
        sa.select(Lecturer, MajorSystem, Course.code)
        .join(RolloutPerson, RolloutPerson.id == Lecturer.person_id)
        .join(MajorSystem, MajorSystem.id == Lecturer.system_id)
        .outerjoin(Enrollment, Enrollment.id == Lecturer.enrollment_id)
        .outerjoin(Course, Course.id == Enrollment.course_id)
        .options(sa.orm.contains_eager(Lecturer.person))
    )
    if chosen_system is not None:
        query = query.where(Lecturer.system_id == chosen_system.id)
    rows, total = [], 0
    if not errors:
        total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
        query = (
            query.order_by(MajorSystem.code, RolloutPerson.name, Lecturer.id)
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
        rows = list(session.execute(query))
    kept = {"system": chosen_system.code} if chosen_system else {}
    body = render_template(
        "appgov/training/lecturers.html",
        rows=rows,
        systems=systems,
        chosen_system=chosen_system,
        errors=errors,
        paging=Paging(page, PER_PAGE, int(total)),
        keeper=keeps_courses(),
        locale=current_locale(),
        short_date=short_date,
        agency_label=agency_display_name,
        page_url=lambda number: url_for("appgov.training_lecturers", **kept, page=number),
        admin_url=_admin_lecturer_url(),
    )
    return body, 400 if errors else 200


def _admin_lecturer_url() -> str | None:
    from ..rollout.views import admin_url

    return admin_url(Lecturer)


# -- the e-learning import ---------------------------------------------------------------------


class ElearningImportForm(ImportFileForm):
    """A file of the e-learning platform's completions (TP-TRN-6)."""


@blueprint.route("/training/elearning-import", methods=["GET", "POST"])
@login_required
def training_elearning_import():
    require_keeper()
    form = ElearningImportForm()
    report, status = None, 200
    if request.method == "POST":
        report, status = import_upload(
            form,
            lambda data, filename, dry_run: elearning.import_file(
                data,
                filename,
                dry_run=dry_run,
                scope=agency_scope(),
                actor=getattr(current_user, "username", None),
            ),
        )
    body = render_template(
        "appgov/training/elearning_import.html",
        form=form,
        report=report,
        limits=limits_text(),
        accepted=accepted_columns(elearning.COLUMNS),
        short_date=short_date,
        hours_text=hours_text,
        agency_label=agency_display_name,
        max_source=TRAINING_LIMITS["source_ref"],
    )
    return body, status
