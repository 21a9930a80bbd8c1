"""The roll-out meetings' pages (issue 12, section 3: TP-WG-3, TP-WG-4).

* ``/appgov/rollout/meetings`` -- the meetings the reader may read (filters: system, body,
  agency, from, to), the next meeting due per body and system (the agencies' work groups
  too), overdue ones flagged; ``/appgov/rollout/meetings.csv``, ``.xlsx``, ``.ods``: the
  same meetings as a file.
* ``/appgov/rollout/meetings/new`` -- record a meeting, its attendance (one line a person of
  the registry: ``E000123 in_person``) and its minutes (PDF, ODT or DOCX, read from the
  content by :mod:`appgov_plugin.uploads`).
* ``/appgov/rollout/meetings/<id>`` -- one meeting: attendance, minutes (late ones flagged:
  received after ``policy.deadline("minutes", held_on)``), the minutes' upload when missing;
  ``/appgov/rollout/meetings/<id>/minutes`` the file.
* ``/appgov/rollout/agencies/<code>/meetings`` -- an agency's work-group meetings, their
  next one due, and its council seats: a seat lost (TP-WG-4) asks the agency to appoint
  another.

Who: the administrator everything; the IT department (``it_department``) the meetings of
its city's agencies and records the council's and the steering group's (and, for an agency
of its city, a work group's); an agency's staff and head read the council's and steering
group's meetings and their own work group's, and record and upload their own work group's
(another agency's meeting answers 404, as a missing one does); every other role 403.
The list's statements do not grow with the meetings or the agencies.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from .. import uploads
from ..access import AGENCY_ROLES, host_agencies, is_admin
from ..clock import today
from ..exports import Table, export_response
from ..forms.builder import AppGovForm
from ..forms.fields import DATE_PLACEHOLDER, TaiwanDateField
from ..i18n import _, _l, current_locale, format_date, parse_date
from ..state import get_state
from ..web import blueprint
from . import meetings as logic
from .models import LIMITS, MajorSystem, RolloutAgency
from .models_meetings import ATTENDANCE, BODIES, MODES, Attendance, CouncilSeat, Meeting
from .views import city_scope, reads_dashboard, request_policy

blueprint.add_templates(__file__)

#: Meetings per page of the list.
PER_PAGE = 100
#: City-wide bodies (the IT department and the administrator record them).
CITY_BODIES = ("council", "steering")


# -- who reads and records what --------------------------------------------------------------


def _role() -> str | None:
    return getattr(current_user, "role", None)


def _own_agency() -> str | None:
    return getattr(current_user, "agency_code", None)


def reader_scope() -> set[str] | None:
    """The agencies whose work groups the reader sees (``None``: all); 403 for a role that
    reads no meetings."""
    if _role() in AGENCY_ROLES:
        own = _own_agency()
        return {own} if own else set()
    if not reads_dashboard(current_user):
        abort(
            403,
            description=_(
                "The roll-out meetings are for the IT department, the administrator and the "
                "agencies' staff."
            ),
        )
    return city_scope()


def may_see(meeting: Meeting, scope: set[str] | None) -> bool:
    return meeting.body in CITY_BODIES or scope is None or meeting.agency_code in scope


def may_record(body: str, agency_code: str | None, scope: set[str] | None) -> bool:
    """TP-WG-4's bodies by the IT department and the administrator; a work group's meetings
    by its agency's staff (and the IT department of the agency's city)."""
    if is_admin():
        return True
    if _role() in AGENCY_ROLES:
        return body == "work_group" and agency_code == _own_agency()
    if body in CITY_BODIES:
        return True
    return scope is None or agency_code in scope


def readable_attendance(rows: list, scope: set[str] | None) -> tuple[list, int]:
    """(the rows about people the reader may read, how many others) -- issue 16: a person's
    records are read by their agency and the IT department of their city only, so a city
    body's meeting shows an agency its own representatives (rows with ``person``)."""
    if scope is None:
        return list(rows), 0
    kept = [row for row in rows if row.person.agency_code in scope]
    return kept, len(rows) - len(kept)


def visible_meeting(meeting_id: int) -> tuple[Meeting, set[str] | None]:
    scope = reader_scope()
    meeting = get_state().session.get(Meeting, meeting_id)
    if meeting is None or not may_see(meeting, scope):
        abort(404)
    return meeting, scope


# -- names ------------------------------------------------------------------------------------


def names_of(codes) -> dict[str, str]:
    """code -> the agency's name in the reader's language (the host's, else the registry's:
    one statement)."""
    codes = {c for c in codes if c}
    english = current_locale() == "en"
    names: dict[str, str] = {}
    if codes:
        for code, zh, en in get_state().session.execute(
            sa.select(RolloutAgency.code, RolloutAgency.name_zh, RolloutAgency.name_en).where(
                RolloutAgency.code.in_(codes)
            )
        ):
            names[code] = (en if english and en else zh) or en or code
    for agency in host_agencies() or ():
        if agency.code in codes:
            names[agency.code] = agency.name()
    return names


def short_date(day: dt.date | None) -> str:
    return format_date(day, style="short") if day else ""


def systems_list() -> list[MajorSystem]:
    return list(get_state().session.scalars(sa.select(MajorSystem).order_by(MajorSystem.code)))


# -- the list ---------------------------------------------------------------------------------


def _date_arg(name: str, label: str, errors: list[str]) -> dt.date | None:
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError:
        errors.append(_("%(field)s: not a date (%(value)s).", field=label, value=text[:20]))
        return None


def chosen_filters(systems: list[MajorSystem]) -> tuple[dict, list[str]]:
    errors: list[str] = []
    chosen: dict = {}
    system = request.args.get("system", "")
    if system:
        match = next((s for s in systems if s.code == system), None)
        if match is None:
            errors.append(_("System: no system %(value)s.", value=system[:40]))
        else:
            chosen["system"] = match
    body = request.args.get("body", "")
    if body:
        if body not in BODIES:
            errors.append(_("Body: choose one of the list."))
        else:
            chosen["body"] = body
    agency = (request.args.get("agency") or "").strip()
    if agency:
        chosen["agency"] = agency[: LIMITS["code"]]
    chosen["from"] = _date_arg("from", _("From"), errors)
    chosen["to"] = _date_arg("to", _("To"), errors)
    return chosen, errors


def meetings_query(scope: set[str] | None, chosen: dict):
    query = sa.select(Meeting, MajorSystem).join(MajorSystem, MajorSystem.id == Meeting.system_id)
    if scope is not None:
        query = query.where(
            sa.or_(Meeting.body.in_(CITY_BODIES), Meeting.agency_code.in_(list(scope)))
        )
    if "system" in chosen:
        query = query.where(Meeting.system_id == chosen["system"].id)
    if "body" in chosen:
        query = query.where(Meeting.body == chosen["body"])
    if chosen.get("agency"):
        query = query.where(Meeting.agency_code == chosen["agency"])
    if chosen.get("from"):
        query = query.where(Meeting.held_on >= chosen["from"])
    if chosen.get("to"):
        query = query.where(Meeting.held_on <= chosen["to"])
    return query.order_by(Meeting.held_on.desc(), Meeting.id.desc())


def attendance_counts(meeting_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {i: dict.fromkeys(ATTENDANCE, 0) for i in meeting_ids}
    if meeting_ids:
        for meeting_id, status, number in get_state().session.execute(
            sa.select(Attendance.meeting_id, Attendance.status, sa.func.count())
            .where(Attendance.meeting_id.in_(meeting_ids))
            .group_by(Attendance.meeting_id, Attendance.status)
        ):
            counts[meeting_id][status] = int(number)
    return counts


def minutes_state(meeting: Meeting, day: dt.date) -> str:
    """``late``, ``on_time``, ``missing`` (past the deadline) or ``pending``."""
    if meeting.minutes_received_on is not None:
        return "late" if meeting.minutes_late else "on_time"
    return "missing" if meeting.minutes_due_on < day else "pending"


MINUTES_STATES = {
    "on_time": _l("Received in time"),
    "late": _l("Received late"),
    "missing": _l("Missing, past the deadline"),
    "pending": _l("Not yet received"),
}


@blueprint.get("/rollout/meetings")
@login_required
def rollout_meetings():
    scope = reader_scope()
    systems = systems_list()
    chosen, errors = chosen_filters(systems)
    day = today()
    session = get_state().session
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows = session.execute(
        meetings_query(scope, chosen).limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
    ).all()
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    counts = attendance_counts([m.id for m, _s in rows])
    chosen_systems = [chosen["system"]] if "system" in chosen else systems
    bodies = [chosen["body"]] if "body" in chosen else list(BODIES)
    dues = logic.due_list(
        session,
        chosen_systems,
        day,
        agency_codes=(
            [chosen["agency"]]
            if chosen.get("agency")
            else (None if scope is None else sorted(scope))
        ),
        bodies=bodies,
    )
    names = names_of({m.agency_code for m, _s in rows} | {d.agency_code for d in dues})
    body = render_template(
        "appgov/rollout/meetings.html",
        rows=rows,
        counts=counts,
        dues=dues,
        names=names,
        systems=systems,
        chosen=chosen,
        errors=errors,
        day=day,
        page=page,
        more=more,
        bodies=BODIES,
        modes=MODES,
        attendance=ATTENDANCE,
        minutes_state=minutes_state,
        minutes_states=MINUTES_STATES,
        short_date=short_date,
        date_placeholder=DATE_PLACEHOLDER,
        locale=current_locale(),
        can_record=is_admin() or _role() in AGENCY_ROLES or reads_dashboard(current_user),
        args={k: v for k, v in request.args.items() if k != "page"},
        new_url=url_for(
            "appgov.rollout_meeting_new",
            **({"system": chosen["system"].code} if "system" in chosen else {}),
            **({"body": chosen["body"]} if "body" in chosen else {}),
        ),
        skipped=[rule for rule in ("TP-WG-3", "TP-WG-4") if not request_policy().applies(rule)],
    )
    return body, 400 if errors else 200


@blueprint.get("/rollout/meetings.<any(csv, xlsx, ods):fmt>")
@login_required
def rollout_meetings_export(fmt: str):
    scope = reader_scope()
    systems = systems_list()
    chosen, errors = chosen_filters(systems)
    if errors:
        abort(400, description=" ".join(errors))
    day = today()
    rows = get_state().session.execute(meetings_query(scope, chosen)).all()
    counts = attendance_counts([m.id for m, _s in rows])
    names = names_of({m.agency_code for m, _s in rows})
    locale = current_locale()
    headers = [
        _("Date"),
        _("System"),
        _("Body"),
        _("Agency code"),
        _("Agency"),
        _("Held"),
        *[str(label) for label in ATTENDANCE.values()],
        _("Minutes due"),
        _("Minutes received on"),
        _("Minutes"),
    ]
    table_rows = [
        [
            meeting.held_on,
            system.display_name(locale),
            str(BODIES[meeting.body]),
            meeting.agency_code,
            names.get(meeting.agency_code or "", meeting.agency_code),
            str(MODES[meeting.mode]),
            *[counts[meeting.id][key] for key in ATTENDANCE],
            meeting.minutes_due_on,
            meeting.minutes_received_on,
            str(MINUTES_STATES[minutes_state(meeting, day)]),
        ]
        for meeting, system in rows
    ]
    return export_response(Table(headers, table_rows, title=_("Meetings")), fmt, "rollout-meetings")


# -- recording --------------------------------------------------------------------------------


class MeetingForm(AppGovForm):
    system = SelectField(_l("System"), validators=[InputRequired()], coerce=str)
    body = SelectField(_l("Body"), validators=[InputRequired()], coerce=str)
    agency = StringField(
        _l("Agency code (work group)"), validators=[Optional(), Length(max=LIMITS["code"])]
    )
    held_on = TaiwanDateField(_l("Date"), validators=[InputRequired()])
    mode = SelectField(_l("Held"), validators=[InputRequired()], coerce=str)
    attendance = TextAreaField(
        _l("Attendance"),
        description=_l(
            "One line a person: employee id and in_person, online, absent or represented."
        ),
        validators=[Optional(), Length(max=50_000)],
    )
    minutes = FileField(_l("Minutes (PDF, ODT or DOCX)"))
    received_on = TaiwanDateField(_l("Minutes received on"), validators=[Optional()])


class MinutesForm(AppGovForm):
    minutes = FileField(_l("Minutes (PDF, ODT or DOCX)"))
    received_on = TaiwanDateField(_l("Minutes received on"), validators=[Optional()])


def stored_minutes(form) -> dict | None:
    """The uploaded minutes' reference (stored), ``None`` without a file;
    :class:`~.meetings.MeetingError` naming the field when refused."""
    upload = form.minutes.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    try:
        return uploads.store(
            upload.stream, upload.filename, logic.MINUTES_KINDS, logic.MINUTES_MAX_BYTES
        )
    except uploads.UploadRefused as refused:
        if refused.reason == "too_large":
            message = _("Minutes: larger than %(size)s.", size=uploads.format_size(refused.limit))
        elif refused.reason == "empty":
            message = _("Minutes: the file is empty.")
        else:
            message = _("Minutes: not a PDF, ODT or DOCX file (read from its content).")
        raise logic.MeetingError("minutes", message) from None


def received_day(form) -> dt.date | None:
    """The IT department and the administrator give the day the minutes reached the IT
    department; an agency's upload reaches it today."""
    if _role() in AGENCY_ROLES:
        return None
    return form.received_on.data


@blueprint.route("/rollout/meetings/new", methods=["GET", "POST"])
@login_required
def rollout_meeting_new():
    scope = reader_scope()
    agency_role = _role() in AGENCY_ROLES
    session = get_state().session
    systems = systems_list()
    form = MeetingForm()
    form.system.choices = [
        (s.code, f"{s.code} {s.display_name(current_locale())}") for s in systems
    ]
    bodies = ["work_group"] if agency_role else list(BODIES)
    form.body.choices = [(key, str(BODIES[key])) for key in bodies]
    form.mode.choices = [(key, str(label)) for key, label in MODES.items()]
    if agency_role:
        form.agency.data = _own_agency()  # an agency records its own work group only
        if request.method == "POST" and request.form.get("body") in CITY_BODIES:
            abort(403)
    if request.method == "POST" and form.validate():
        system = next(s for s in systems if s.code == form.system.data)
        code = (form.agency.data or "").strip() or None
        if form.body.data != "work_group":
            code = None
        if form.body.data == "work_group" and code is None:
            form.agency.errors = [_("Agency: a work group's meeting names its agency.")]
            return _form_page(form, agency_role), 400
        if form.body.data == "work_group" and not may_record("work_group", code, scope):
            # the same answer for an agency outside the reader's city and one that is not
            form.agency.errors = [
                _(
                    "Agency: %(agency)s is not in the scope of %(system)s.",
                    agency=code[:40],
                    system=form.system.data,
                )
            ]
            return _form_page(form, agency_role), 400
        if not may_record(form.body.data, code, scope):
            abort(403)
        try:
            reference = stored_minutes(form)
            meeting = logic.record_meeting(
                session,
                get_state().policy(as_of=form.held_on.data),
                system=system,
                body=form.body.data,
                agency_code=code,
                held_on=form.held_on.data,
                mode=form.mode.data,
                attendance_text=form.attendance.data or "",
                minutes=reference,
                received_on=received_day(form),
                today=today(),
                username=getattr(current_user, "username", None),
            )
            session.commit()
        except logic.MeetingError as error:
            session.rollback()
            getattr(form, error.field if error.field in form else "attendance").errors = [
                str(error)
            ]
        except BaseException:
            session.rollback()
            raise
        else:
            flash(_("The meeting is recorded."), "success")
            return redirect(url_for("appgov.rollout_meeting", meeting_id=meeting.id), code=303)
    seats = []
    if request.method == "GET":
        seats = prefill(form, systems)
    return _form_page(form, agency_role, seats), 400 if request.method == "POST" else 200


def prefill(form, systems: list[MajorSystem]) -> list[CouncilSeat]:
    """``?system=erp&body=council``: the system's council seats held today, their
    representatives' lines in the attendance (each to complete with how they attended)."""
    system = next((s for s in systems if s.code == request.args.get("system")), None)
    body = request.args.get("body")
    if system is not None:
        form.system.data = system.code
    if body in dict(form.body.choices):
        form.body.data = body
    if system is None or body != "council":
        return []
    seats = list(
        get_state().session.scalars(
            sa.select(CouncilSeat)
            .where(CouncilSeat.system_id == system.id, CouncilSeat.lost_on.is_(None))
            .options(sa.orm.joinedload(CouncilSeat.person))
            .order_by(CouncilSeat.agency_code, CouncilSeat.id)
        )
    )
    form.attendance.data = "".join(f"{seat.person.employee_id} \n" for seat in seats)
    return seats


def _form_page(form, agency_role: bool, seats=()) -> str:
    return render_template(
        "appgov/rollout/meeting_form.html",
        form=form,
        agency_role=agency_role,
        seats=seats,
        names=names_of({seat.agency_code for seat in seats}),
    )


@blueprint.get("/rollout/meetings/<int:meeting_id>")
@login_required
def rollout_meeting(meeting_id: int):
    meeting, scope = visible_meeting(meeting_id)
    day = today()
    return _meeting_page(meeting, scope, MinutesForm(formdata=None), day), 200


def _meeting_page(meeting: Meeting, scope, form, day):
    session = get_state().session
    attendance = session.scalars(
        sa.select(Attendance)
        .where(Attendance.meeting_id == meeting.id)
        .options(sa.orm.joinedload(Attendance.person))
        .order_by(Attendance.id)
    ).all()
    lost = session.scalars(
        sa.select(CouncilSeat)
        .where(CouncilSeat.lost_meeting_id == meeting.id)
        .options(sa.orm.joinedload(CouncilSeat.person))
    ).all()
    attendance, others = readable_attendance(attendance, scope)
    lost, _lost_others = readable_attendance(lost, scope)
    names = names_of({meeting.agency_code} | {a.person.agency_code for a in attendance})
    return render_template(
        "appgov/rollout/meeting.html",
        meeting=meeting,
        system=meeting.system,
        attendance=attendance,
        others=others,
        lost=lost,
        names=names,
        form=form,
        can_upload=may_record(meeting.body, meeting.agency_code, scope),
        agency_role=_role() in AGENCY_ROLES,
        state=minutes_state(meeting, day),
        minutes_states=MINUTES_STATES,
        bodies=BODIES,
        modes=MODES,
        statuses=ATTENDANCE,
        locale=current_locale(),
        size=uploads.format_size(meeting.minutes_size or 0),
    )


@blueprint.post("/rollout/meetings/<int:meeting_id>/minutes")
@login_required
def rollout_meeting_minutes_upload(meeting_id: int):
    meeting, scope = visible_meeting(meeting_id)
    if not may_record(meeting.body, meeting.agency_code, scope):
        abort(403)
    session = get_state().session
    form = MinutesForm()
    day = today()
    if form.validate():
        try:
            if meeting.minutes_sha256:
                # the day they reached the IT department stands (TP-WG-3)
                raise logic.MeetingError(
                    "minutes",
                    _(
                        "Minutes: already received on %(day)s.",
                        day=short_date(meeting.minutes_received_on),
                    ),
                )
            reference = stored_minutes(form)
            if reference is None:
                raise logic.MeetingError("minutes", _("Minutes: choose a file."))
            received = received_day(form) or day
            logic.check_received(received, meeting.held_on, day)
            logic.attach_minutes(meeting, reference, received)
            session.commit()
        except logic.MeetingError as error:
            session.rollback()
            getattr(form, error.field).errors = [str(error)]
        except BaseException:
            session.rollback()
            raise
        else:
            if meeting.minutes_late:
                flash(
                    _(
                        "The minutes are recorded, late: due %(due)s (TP-WG-3).",
                        due=short_date(meeting.minutes_due_on),
                    ),
                    "warning",
                )
            else:
                flash(_("The minutes are recorded."), "success")
            return redirect(url_for("appgov.rollout_meeting", meeting_id=meeting.id), code=303)
    session.refresh(meeting)
    return _meeting_page(meeting, scope, form, day), 400


@blueprint.get("/rollout/meetings/<int:meeting_id>/minutes")
@login_required
def rollout_meeting_minutes(meeting_id: int):
    meeting, _scope = visible_meeting(meeting_id)
    sha256 = meeting.minutes_sha256
    if not sha256 or not uploads.is_stored(sha256):
        abort(404)
    path = uploads.stored_path(sha256)
    kinds = uploads.detect_file(path)
    response = send_file(
        path,
        mimetype=uploads.mime_type(kinds),
        as_attachment=True,
        download_name=meeting.minutes_name or "minutes",
        conditional=True,
        etag=False,
        max_age=None,
    )
    response.headers["Content-Disposition"] = uploads.content_disposition(
        meeting.minutes_name or "minutes", sha256, kinds
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers.setdefault("Content-Security-Policy", "default-src 'none'; sandbox")
    return response


# -- an agency's meetings and seats -----------------------------------------------------------


@blueprint.get("/rollout/agencies/<code>/meetings")
@login_required
def rollout_agency_meetings(code: str):
    scope = reader_scope()
    if scope is not None and code not in scope:
        abort(404)
    session = get_state().session
    known = session.scalar(sa.select(RolloutAgency.id).where(RolloutAgency.code == code))
    host_known = any(a.code == code for a in host_agencies() or ())
    if known is None and not host_known:
        abort(404)
    day = today()
    systems = systems_list()
    meetings = session.execute(
        sa.select(Meeting, MajorSystem)
        .join(MajorSystem, MajorSystem.id == Meeting.system_id)
        .where(Meeting.agency_code == code)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .limit(PER_PAGE)
    ).all()
    dues = logic.due_list(session, systems, day, agency_codes=[code], bodies=["work_group"])
    seats = session.execute(
        sa.select(CouncilSeat, MajorSystem)
        .join(MajorSystem, MajorSystem.id == CouncilSeat.system_id)
        .where(CouncilSeat.agency_code == code)
        .options(sa.orm.joinedload(CouncilSeat.person))
        .order_by(MajorSystem.code, CouncilSeat.since.desc(), CouncilSeat.id.desc())
    ).all()
    latest: dict[int, CouncilSeat] = {}
    for seat, system in seats:
        latest.setdefault(system.id, seat)
    to_appoint = [
        (system, seat)
        for seat, system in seats
        if latest[system.id] is seat and seat.lost_on is not None and seat.lost_on <= day
    ]
    return render_template(
        "appgov/rollout/agency_meetings.html",
        code=code,
        name=names_of({code}).get(code, code),
        meetings=meetings,
        dues=dues,
        seats=seats,
        to_appoint=to_appoint,
        bodies=BODIES,
        modes=MODES,
        minutes_state=minutes_state,
        minutes_states=MINUTES_STATES,
        short_date=short_date,
        day=day,
        locale=current_locale(),
    )
