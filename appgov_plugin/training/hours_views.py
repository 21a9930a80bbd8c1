"""Learning hours' pages (TN-LEARN-1, issue 13 section 6).

* ``/appgov/training/hours?year=&agency=&below=1&page=`` -- the yearly report: every person
  of the agencies in the reader's scope (or the one agency chosen) with their hours of the
  year per source (attended sessions, e-learning, other learning), the total, the year's
  target (in force on 31 December, today for the current year) and whether they are below
  it; a summary (people, below the target) and pages of 100 rows. ``&format=csv|xlsx|ods``:
  the same rows (every row, not one page) as a file (:mod:`appgov_plugin.exports`: text
  that a spreadsheet would read as a formula is neutralised).
* ``/appgov/training/people/<person id>`` -- one person's transcript: per year (ROC years
  and dates in zh) the sessions of their courses with date, hours, attendance, the hours
  counted and the course's result; e-learning completions; other learning; the year's
  totals against its target. Printable (a print style sheet: no navigation, A4);
  ``/appgov/training/people/<person id>/transcript.pdf``: the same as PDF
  (:mod:`.transcript_pdf`, issue 16), to the same readers.

Who reads what (:mod:`.access`): the report -- the administrator every agency, the IT
department its city's, an agency's staff and head their own agency; other roles 403. The
transcript -- the person themselves, their agency's roles, the IT department of the city,
the administrator; anyone else 404, as for a missing id.

Statements: the report runs one grouped statement for the hours (:func:`.hours.yearly_hours`)
plus the agencies for the filter and their names, whatever the people; the transcript the
person and one statement (:func:`.hours.transcript`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, current_app, render_template, request, url_for
from flask_login import login_required

from ..access import host_agencies
from ..clock import today
from ..exports import Table, export_response
from ..i18n import _, current_locale, format_date
from ..paging import Paging, read_page
from ..pdf import FontMissing, font_missing_abort, pdf_response
from ..rollout import staff_records
from ..rollout.models import RolloutAgency, RolloutPerson
from ..state import get_state
from ..web import blueprint
from . import access, hours, transcript_pdf
from .models import ATTENDANCE_STATUSES, COURSE_TYPES, ENROLLMENT_STATUSES

blueprint.add_templates(__file__)

#: Rows of the report per page (the summary and the exports count them all).
PER_PAGE = 100
EXPORT_FORMATS = ("csv", "xlsx", "ods")


def year_label(year: int, locale: str | None = None) -> str:
    """A calendar year as its reader names it (TIME-5): 民國 115 年 in zh, 2026 in en."""
    if (locale or current_locale()) == "zh_Hant_TW" and year >= hours.FIRST_YEAR:
        return f"民國 {year - 1911} 年"
    return str(year)


def hours_text(value) -> str:
    return f"{value:.1f}"


# -- the report's filters -----------------------------------------------------------------


@dataclass
class Filters:
    year: int
    agency: str
    below: bool
    page: int
    format: str
    errors: list[str]

    def kept(self) -> dict:
        kept: dict = {"year": self.year}
        if self.agency:
            kept["agency"] = self.agency
        if self.below:
            kept["below"] = "1"
        return kept


def report_scope() -> set[str] | None:
    """The agencies whose people the reader reads (``None``: all), else 403."""
    scope = access.agency_scope()
    if scope is not None and not scope:
        abort(
            403,
            description=_(
                "The learning-hours report is for the IT department, agencies and the "
                "administrator; a person reads their own transcript."
            ),
        )
    return scope


def agency_options(scope: set[str] | None) -> list[tuple[str, str]]:
    """(code, name) of the agencies in scope that have people in the registry, by name: one
    statement for the codes, one for the registry's names (the host's names win)."""
    session = get_state().session
    query = sa.select(RolloutPerson.agency_code).distinct()
    if scope is not None:
        query = query.where(RolloutPerson.agency_code.in_(sorted(scope)))
    codes = set(session.scalars(query))
    if scope is not None:
        codes |= scope
    names = agency_names(codes)
    return sorted(((code, names.get(code, code)) for code in codes), key=lambda c: (c[1], c[0]))


def agency_names(codes: set[str]) -> dict[str, str]:
    """code -> name in the reader's language: the host's, else the registry's (one query)."""
    english = current_locale() == "en"
    names: dict[str, str] = {}
    if codes:
        rows = get_state().session.execute(
            sa.select(RolloutAgency.code, RolloutAgency.name_zh, RolloutAgency.name_en).where(
                RolloutAgency.code.in_(sorted(codes))
            )
        )
        for code, name_zh, name_en in rows:
            name = (name_en if english and name_en else name_zh) or name_en
            if name:
                names[code] = name
    for agency in host_agencies() or ():
        if agency.code in codes:
            names[agency.code] = agency.name()
    return names


def report_filters(args, options: list[tuple[str, str]]) -> Filters:
    """The report's filters from the query string, and a message naming each bad one."""
    now = today()
    errors: list[str] = []
    year = now.year
    given = (args.get("year") or "").strip()
    if given:
        if given.isascii() and given.isdigit() and len(given) == 4:
            year = int(given)
        if not (given.isascii() and given.isdigit() and len(given) == 4) or not (
            hours.FIRST_YEAR <= year <= now.year
        ):
            errors.append(
                _(
                    "Year: “%(value)s” is not a year from %(first)s to %(last)s.",
                    value=given[:10],
                    first=hours.FIRST_YEAR,
                    last=now.year,
                )
            )
            year = now.year
    agency = (args.get("agency") or "").strip()
    if agency and agency not in {code for code, _name in options}:
        errors.append(_("Agency: “%(value)s” is not an agency you may see.", value=agency[:40]))
        agency = ""
    below = (args.get("below") or "").strip()
    if below and below != "1":
        errors.append(_("Below the target only: “%(value)s” is not 1.", value=below[:10]))
    page, problem = read_page(args.get("page"))
    if problem:
        errors.append(problem)
    fmt = (args.get("format") or "").strip()
    if fmt and fmt not in EXPORT_FORMATS:
        errors.append(
            _(
                "Format: “%(value)s” is not one of %(choices)s.",
                value=fmt[:10],
                choices=", ".join(EXPORT_FORMATS),
            )
        )
        fmt = ""
    return Filters(year, agency, below == "1", page, fmt, errors)


def report_table(report: hours.HoursReport, names: dict[str, str]) -> Table:
    """The report's rows as an export (every row; hours as numbers)."""
    headers = [
        _("Employee ID"),
        _("Name"),
        _("Agency"),
        _("Agency code"),
        _("Attended sessions (hours)"),
        _("E-learning (hours)"),
        _("Other learning (hours)"),
        _("Total (hours)"),
        _("Target (hours)"),
        _("Below the target"),
    ]
    rows = [
        [
            row.employee_id,
            row.name,
            names.get(row.agency_code, row.agency_code),
            row.agency_code,
            row.attended,
            row.elearning,
            row.other,
            row.total,
            report.target,
            _("yes") if report.is_below(row) else _("no"),
        ]
        for row in report.rows
    ]
    return Table(headers, rows, title=_("Learning hours %(year)s", year=report.year))


def kept_filters(filters: Filters) -> dict:
    """The report's filters as the export log records them."""
    return {"year": filters.year, "agency": filters.agency, "below": filters.below}


@blueprint.get("/training/hours")
@login_required
def training_hours():
    scope = report_scope()
    options = agency_options(scope)
    filters = report_filters(request.args, options)
    policy = get_state().policy()
    if filters.errors:
        if filters.format:
            abort(400, description=" ".join(filters.errors))
        report = None
    else:
        codes = {filters.agency} if filters.agency else scope
        report = hours.hours_report(filters.year, codes, below_only=filters.below, policy=policy)
    names = dict(options)
    if report is not None and filters.format:
        # issue 16: an export of staff records is logged (who, when, filters, rows)
        staff_records.log_export(
            "learning_hours", filters.format, kept_filters(filters), len(report.rows)
        )
        return export_response(
            report_table(report, names), filters.format, f"learning-hours-{filters.year}"
        )
    rows = report.rows if report else []
    paging = Paging(filters.page, PER_PAGE, len(rows))
    shown = rows[(paging.page - 1) * PER_PAGE : paging.page * PER_PAGE]
    kept = filters.kept()
    body = render_template(
        "appgov/training/hours_report.html",
        report=report,
        rows=shown,
        paging=paging,
        filters=filters,
        options=options,
        names=names,
        kept=kept,
        applies=policy.applies("TN-LEARN-1"),
        years=list(range(today().year, max(hours.FIRST_YEAR, today().year - 10) - 1, -1)),
        year_label=year_label,
        hours_text=hours_text,
        short_date=lambda day: format_date(day, style="short"),
        transcript_url=lambda person_id: url_for("appgov.training_transcript", person_id=person_id),
        page_url=lambda number: url_for("appgov.training_hours", **kept, page=number),
        export_url=lambda fmt: url_for("appgov.training_hours", **kept, format=fmt),
    )
    return body, 400 if filters.errors else 200


# -- one person's transcript ----------------------------------------------------------------


def _linked(endpoint: str, **values) -> str | None:
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None


def readable_person(person_id: int) -> RolloutPerson:
    """The person whose transcript the reader may read, else 404 (as for a missing id)."""
    session = get_state().session
    person = session.get(RolloutPerson, person_id) if 0 < person_id < 2**31 else None
    if person is None or not access.may_read_person(person):
        abort(404)  # outside the reader's scope: as for a missing id
    return person


@blueprint.get("/training/people/<int:person_id>/transcript.pdf")
@login_required
def training_transcript_pdf(person_id: int):
    """The transcript as PDF (issue 16): the page's content, the page's access rule."""
    person = readable_person(person_id)
    policy = get_state().policy()
    record = hours.transcript(person, policy=policy)
    names = agency_names({person.agency_code})
    try:
        data = transcript_pdf.build(
            record, names.get(person.agency_code, person.agency_code), policy.applies("TN-LEARN-1")
        )
    except FontMissing as error:
        font_missing_abort(error)
    # issue 16: an export of staff records is logged
    staff_records.log_export("transcript", "pdf", {"person": person.id}, 1)
    return pdf_response(data, f"transcript-{person.employee_id}.pdf")


@blueprint.get("/training/people/<int:person_id>")
@login_required
def training_transcript(person_id: int):
    person = readable_person(person_id)
    policy = get_state().policy()
    record = hours.transcript(person, policy=policy)
    locale = current_locale()
    names = agency_names({person.agency_code})
    return render_template(
        "appgov/training/transcript.html",
        person=person,
        record=record,
        agency_name=names.get(person.agency_code, person.agency_code),
        applies=policy.applies("TN-LEARN-1"),
        locale=locale,
        today=today(),
        year_label=year_label,
        hours_text=hours_text,
        title_in=hours.title_in,
        long_date=format_date,
        short_date=lambda day: format_date(day, style="short"),
        attendance_statuses=ATTENDANCE_STATUSES,
        enrollment_statuses=ENROLLMENT_STATUSES,
        course_types=COURSE_TYPES,
        course_url=lambda course_id: _linked("appgov.training_course", course_id=course_id),
        report_url=_linked("appgov.training_hours") if access.agency_scope() != set() else None,
        pdf_url=url_for("appgov.training_transcript_pdf", person_id=person.id),
    )
