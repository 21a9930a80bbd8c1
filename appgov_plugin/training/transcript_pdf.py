"""One person's learning transcript as PDF (issue 16; TN-LEARN-1): the content of the
printable page ``/appgov/training/people/<id>`` (:mod:`.hours_views`) -- the person, then per
calendar year the totals against the year's target, the sessions, e-learning and other
learning, and the courses without recorded attendance -- in the reader's language, ROC
dates in zh."""

from __future__ import annotations

from ..clock import today
from ..i18n import _, current_locale, format_date
from ..pdf import PdfDocument
from .hours import Transcript, title_in
from .models import ATTENDANCE_STATUSES, ENROLLMENT_STATUSES


def _hours(value) -> str:
    return f"{value:.1f}"


def _year(year: int) -> str:
    from .hours_views import year_label

    return year_label(year)


def build(record: Transcript, agency_name: str, applies: bool) -> bytes:
    person, locale = record.person, current_locale()
    title = _("Learning transcript: %(name)s", name=person.name)
    doc = PdfDocument(title, footer=f"{person.employee_id} {person.name}")
    doc.fields(
        [
            (_("Employee ID"), person.employee_id),
            (_("Agency"), agency_name),
            (_("Job title"), person.title or ""),
            (_("Left the agency on"), format_date(person.left_on) if person.left_on else ""),
            (_("Printed on"), format_date(today())),
        ]
    )
    doc.paragraph(
        _(
            "Hours per calendar year from every source: a session attended counts its hours, "
            "a session on leave its hours less the leave; absences count nothing. The yearly "
            "target is the one in force on 31 December, or today for the current year "
            "(TN-LEARN-1)."
        ),
        size=8.5,
    )
    if not applies:
        doc.paragraph(
            _(
                "This deployment does not apply TN-LEARN-1 as a rule: the target is shown for "
                "reference."
            ),
            size=8.5,
        )
    for section in record.years:
        doc.heading(_year(section.year))
        against = _("Below the target") if section.below else _("Target reached")
        doc.table(
            [
                _("Attended sessions"),
                _("E-learning"),
                _("Other learning"),
                _("Total"),
                _("Target"),
                _("Against the target"),
            ],
            [
                [
                    _hours(section.attended),
                    _hours(section.elearning),
                    _hours(section.other_hours),
                    _hours(section.total),
                    f"{_hours(section.target)} "
                    f"({_('in force on %(day)s', day=format_date(section.day, style='short'))})",
                    against,
                ]
            ],
        )
        if section.sessions:
            doc.table(
                [
                    _("Date"),
                    _("Course"),
                    _("Session hours"),
                    _("Attendance"),
                    _("Hours counted"),
                    _("Result"),
                ],
                [
                    [
                        f"{format_date(item.on)} {item.starts_at:%H:%M}–{item.ends_at:%H:%M}",
                        f"{title_in(item, locale)} ({item.course_code})",
                        _hours(item.session_hours),
                        str(ATTENDANCE_STATUSES.get(item.status, item.status)),
                        _hours(item.hours),
                        str(ENROLLMENT_STATUSES.get(item.result, item.result)),
                    ]
                    for item in section.sessions
                ],
                widths=(36, 46, 18, 20, 18, doc.width - 138),
                caption=_("Sessions"),
            )
        if section.completions:
            doc.table(
                [_("Completed on"), _("Course"), _("Hours")],
                [
                    [format_date(item.on), title_in(item, locale), _hours(item.hours)]
                    for item in section.completions
                ],
                widths=(40, doc.width - 60, 20),
                caption=_("E-learning"),
            )
        if section.other:
            doc.table(
                [_("Date"), _("Title"), _("Where"), _("Hours")],
                [
                    [
                        format_date(item.on),
                        title_in(item, locale),
                        item.source or "",
                        _hours(item.hours),
                    ]
                    for item in section.other
                ],
                widths=(40, doc.width - 110, 50, 20),
                caption=_("Other learning"),
            )
    if record.unattended:
        doc.table(
            [_("Course"), _("Course hours"), _("Status")],
            [
                [
                    f"{title_in(row, locale)} ({row.course_code})",
                    _hours(row.course_hours),
                    str(ENROLLMENT_STATUSES.get(row.result, row.result)),
                ]
                for row in record.unattended
            ],
            widths=(doc.width - 60, 25, 35),
            caption=_("Courses without recorded attendance"),
        )
    return doc.output()
