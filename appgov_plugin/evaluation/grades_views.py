"""The roll-out grades' pages (TP-GRADE-0..2), where the deployment applies TP-GRADE-1
(the Taipei profile does; elsewhere a city adopts it: the ranking page says the rule is not
adopted and the other pages answer 404).

* ``/appgov/evaluation/grades?year=&system=&group=`` (``appgov.evaluation_grades``) -- the
  published ranking per group of one system and year: grade, score, rank (ties shown as
  ties), and the follow-ups (TP-GRADE-2: the review case, the coordination council,
  joining the IT evaluation, the commendation); the year's follow-ups listed; exports
  ``/appgov/evaluation/grades.csv|xlsx|ods`` of the same rows.
* ``/appgov/evaluation/grades/<id>`` -- one score with its follow-ups.
* ``/appgov/evaluation/grades/new`` -- the IT department's score entry (a score of the
  same agency, system and year is updated); ``/appgov/evaluation/grades/import`` -- the
  file import (all or nothing); ``POST /appgov/evaluation/grades/review-cases`` -- "Open
  the review-report cases" of the D and E of a year (once per score).

Who reads what: the administrator everything; the IT department (``access.keeps_scores``)
its city's scores, and records them; the mayor's office and the app authority read the
city's. The ranking is published (seed 玖、四: 並予公開): an agency's staff and head read
the published ranking of their city (agency, grade, score, rank, what follows) and their
own agency's scores in full (the case links, the note); another agency's score by its id
answers 404, as a missing one does. Every other role: 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from ..access import AGENCY_ROLES, host_agencies, is_admin
from ..clock import today
from ..exports import Table, export_response
from ..forms.builder import AppGovForm
from ..forms.fields import DecimalNumberField, WholeNumberField
from ..i18n import _, _l, current_locale, format_date
from ..import_columns import accepted_columns
from ..import_pages import ImportFileForm, import_upload, limits_text
from ..rollout.admin import agency_display_name
from ..rollout.models import MajorSystem, RolloutAgency, SystemScope
from ..rollout.views import case_url
from ..state import get_state
from ..training.hours_views import year_label
from ..web import blueprint
from . import access, grades, grades_followup, grades_import
from .models import GRADES, SCORE_STAGES, RolloutScore

blueprint.add_templates(__file__)

EXPORT_FORMATS = ("csv", "xlsx", "ods")
#: The rule whose adoption opens the pages (the bands; TP-GRADE-0/2 go with it).
GATE = grades.RULE_BANDS


# -- who reads what


def _policy():
    return get_state().policy()


def applies() -> bool:
    return _policy().applies(GATE)


def reads_grades(user=None) -> bool:
    """The navigation's readers: the evaluation's, where the deployment grades roll-outs."""
    return access.reads_evaluation() and applies()


def require_applied() -> None:
    if not applies():
        abort(404)


def require_keeper() -> None:
    if not access.keeps_scores():
        abort(403, description=_("The IT department and the administrator keep the scores."))


def published_scope() -> set[str] | None:
    """The agencies whose published ranking the reader reads (``None``: all): an agency
    role its city's (the ranking is published, TP-GRADE-1), the city-wide roles their
    scope; 403 for a role that reads nothing here."""
    own_scope = access.require_reader()
    if is_admin() or getattr(current_user, "role", None) not in AGENCY_ROLES:
        return own_scope
    own = getattr(current_user, "agency_code", None)
    agencies = host_agencies() or ()
    city = next((a.city for a in agencies if a.code == own), "")
    if not city:
        return own_scope
    registry = get_state().session.scalars(
        sa.select(RolloutAgency.code).where(RolloutAgency.city == city)
    )
    return {a.code for a in agencies if a.city == city} | set(registry) | (own_scope or set())


def _guarded(endpoint: str, **values) -> str | None:
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None


# -- the filters


@dataclass
class Filters:
    year: int
    system: MajorSystem | None
    group: str | None
    systems: list[MajorSystem]
    groups: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def kept(self) -> dict:
        out = {"year": self.year}
        if self.system is not None:
            out["system"] = self.system.code
        if self.group:
            out["group"] = self.group
        return out


def read_filters(scope: set[str] | None) -> Filters:
    """year (default: the latest with scores the reader sees, else last year), system (a
    code; default the first with scores that year), group (a key); two queries."""
    session = get_state().session
    systems = list(session.scalars(sa.select(MajorSystem).order_by(MajorSystem.code)))
    query = sa.select(RolloutScore.year, RolloutScore.system_id, RolloutScore.group_key).distinct()
    if scope is not None:
        query = query.where(RolloutScore.agency_code.in_(sorted(scope)))
    present = session.execute(query).all()
    errors = []
    years = sorted({y for y, _s, _g in present}, reverse=True)
    raw_year = request.args.get("year", "").strip()
    year = years[0] if years else today().year - 1
    if raw_year:
        if raw_year.isdigit() and 2000 <= int(raw_year) <= 2200:
            year = int(raw_year)
        else:
            errors.append(_("Year: a year such as %(year)s.", year=today().year - 1))
    raw_system = request.args.get("system", "").strip()
    by_code = {s.code: s for s in systems}
    system = None
    if raw_system:
        system = by_code.get(raw_system)
        if system is None:
            errors.append(_("System: no major system has the code %(code)s.", code=raw_system))
    else:
        with_scores = {s for y, s, _g in present if y == year}
        system = next((s for s in systems if s.id in with_scores), systems[0] if systems else None)
    groups = sorted({g for y, s, g in present if y == year and system and s == system.id})
    group = request.args.get("group", "").strip() or None
    if group and group not in groups:
        errors.append(
            _("Group: no score of that year and system is in the group %(group)s.", group=group)
        )
        group = None
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    return Filters(year, system, group, systems, groups, years, errors)


# -- the ranking


def _rows_for(filters: Filters, scope):
    if filters.system is None:
        return []
    return grades.ranking(filters.system.id, filters.year, group=filters.group, agencies=scope)


def follow_up_text(score: RolloutScore, item: grades_followup.FollowUp) -> str:
    """The follow-ups of a score in words (the export's column; the page links them)."""
    parts = []
    if item.needs_review:
        parts.append(
            _("Review report: case %(id)s", id=item.review_case_id)
            if item.review_case_id
            else _("Review report due (no case opened yet)")
        )
        council = item.council
        if council and council.meeting_id:
            parts.append(
                _(
                    "Coordination council of %(day)s: %(state)s",
                    day=format_date(council.held_on),
                    state=_("attended") if council.attended else _("not attended"),
                )
            )
        else:
            parts.append(_("Attends the next coordination council (none held since)"))
        if item.joins_it_evaluation:
            parts.append(
                _(
                    "Joins the yearly IT evaluation in %(year)s",
                    year=year_label(item.joins_it_evaluation),
                )
            )
    elif item.commendation:
        parts.append(item.commendation)
    return "; ".join(parts)


def ranking_table(filters: Filters, groups, items) -> Table:
    locale = current_locale()
    headers = [
        _("System"),
        _("Year"),
        _("Group"),
        _("Agency code"),
        _("Agency"),
        _("Stage"),
        _("Score"),
        _("Grade"),
        _("Rank"),
        _("Follow-ups (TP-GRADE-2)"),
    ]
    rows = [
        [
            grades.system_label(filters.system, locale),
            filters.year,
            group.label,
            r.score.agency_code,
            agency_display_name(r.score.agency_code),
            str(SCORE_STAGES.get(r.score.stage, r.score.stage)),
            r.score.score,
            r.score.grade,
            grades.rank_text(r),
            follow_up_text(r.score, items[r.score.id]),
        ]
        for group in groups
        for r in group.rows
    ]
    return Table(headers, rows, title=_("Grades"))


@blueprint.get("/evaluation/grades")
@login_required
def evaluation_grades():
    scope = published_scope()
    if not applies():
        return render_template("appgov/evaluation/grades.html", applied=False, filters=None)
    own = access.scope()
    filters = read_filters(scope)
    groups = _rows_for(filters, scope)
    items = grades_followup.follow_ups([r.score for g in groups for r in g.rows])
    keeper = access.keeps_scores()
    body = render_template(
        "appgov/evaluation/grades.html",
        applied=True,
        filters=filters,
        groups=groups,
        items=items,
        keeper=keeper,
        grades_order=GRADES,
        commendations=grades_followup.COMMENDATIONS,
        mine=lambda code: own is None or code in own,
        agency_name=agency_display_name,
        system_label=lambda s: grades.system_label(s, current_locale()),
        group_label=grades.group_label,
        rank_text=grades.rank_text,
        year_label=year_label,
        stage_label=lambda key: SCORE_STAGES.get(key, key),
        long_date=format_date,
        case_url=case_url,
        meeting_url=(lambda mid: _guarded("appgov.rollout_meeting", meeting_id=mid))
        if keeper
        else (lambda mid: None),
        export_url=lambda fmt: url_for(
            "appgov.evaluation_grades_export", fmt=fmt, **filters.kept()
        ),
        score_url=lambda sid: url_for("appgov.evaluation_grade", score_id=sid),
        review_form=ReviewCasesForm(formdata=None, **filters.kept()) if keeper else None,
    )
    return body, 400 if filters.errors else 200


@blueprint.get("/evaluation/grades.<any(csv, xlsx, ods):fmt>")
@login_required
def evaluation_grades_export(fmt: str):
    scope = published_scope()
    require_applied()
    filters = read_filters(scope)
    if filters.errors:
        abort(400, description=" ".join(filters.errors))
    groups = _rows_for(filters, scope)
    items = grades_followup.follow_ups([r.score for g in groups for r in g.rows])
    code = filters.system.code if filters.system else "none"
    return export_response(
        ranking_table(filters, groups, items), fmt, f"grades-{code}-{filters.year}"
    )


# -- one score


@blueprint.get("/evaluation/grades/<int:score_id>")
@login_required
def evaluation_grade(score_id: int):
    access.require_reader()
    require_applied()
    score = get_state().session.get(RolloutScore, score_id) if 0 < score_id < 2**31 else None
    if score is None:
        abort(404)
    access.require_in_scope(score.agency_code)  # another agency's: 404 as a missing one
    system = get_state().session.get(MajorSystem, score.system_id)
    item = grades_followup.follow_ups([score])[score.id]
    keeper = access.keeps_scores()
    return render_template(
        "appgov/evaluation/grade.html",
        score=score,
        system=system,
        item=item,
        keeper=keeper,
        agency_name=agency_display_name(score.agency_code),
        system_label=grades.system_label(system, current_locale()),
        group_label=grades.group_label(score.group_key),
        stage_label=SCORE_STAGES.get(score.stage, score.stage),
        source_label=grades.SCORE_SOURCES.get(score.source, score.source),
        year_label=year_label,
        long_date=format_date,
        case_url=case_url,
        meeting_url=(lambda mid: _guarded("appgov.rollout_meeting", meeting_id=mid))
        if keeper
        else (lambda mid: None),
    )


# -- the IT department's entry


class ScoreForm(AppGovForm):
    agency_code = SelectField(_l("Agency"), validators=[InputRequired()], validate_choice=False)
    system = SelectField(_l("Major system"), validators=[InputRequired()], validate_choice=False)
    year = WholeNumberField(_l("Year evaluated"), validators=[InputRequired()])
    stage = SelectField(
        _l("Stage (TP-GRADE-0)"),
        choices=[(k, v) for k, v in SCORE_STAGES.items()],
        default="operations",
        validators=[InputRequired()],
    )
    score = DecimalNumberField(
        _l("Score (0 to 100, at most two decimals)"), validators=[InputRequired()], places=None
    )
    group = StringField(
        _l("Group (empty: the agency's kind in the roll-out registry)"), validators=[Optional()]
    )
    in_it_evaluation = BooleanField(_l("The agency is in the yearly IT evaluation"), default=True)
    note = TextAreaField(_l("Note"), validators=[Optional()])


def _entry_choices(form: ScoreForm) -> None:
    """The agencies in scope of a system that the keeper records for, and the systems."""
    session = get_state().session
    allowed = access.scope()
    query = sa.select(SystemScope.agency_code).where(SystemScope.excluded_on.is_(None)).distinct()
    if allowed is not None:
        query = query.where(SystemScope.agency_code.in_(sorted(allowed)))
    codes = sorted(session.scalars(query))
    form.agency_code.choices = [("", _("Choose an agency"))] + [
        (code, f"{agency_display_name(code)} ({code})") for code in codes
    ]
    locale = current_locale()
    form.system.choices = [("", _("Choose a major system"))] + [
        (s.code, grades.system_label(s, locale))
        for s in session.scalars(sa.select(MajorSystem).order_by(MajorSystem.code))
    ]


def _prefill(form: ScoreForm, score: RolloutScore) -> None:
    system = get_state().session.get(MajorSystem, score.system_id)
    form.agency_code.data = score.agency_code
    form.system.data = system.code if system else ""
    form.year.data, form.stage.data, form.score.data = score.year, score.stage, score.score
    form.group.data = score.group_key
    form.in_it_evaluation.data, form.note.data = score.in_it_evaluation, score.note


@blueprint.route("/evaluation/grades/new", methods=["GET", "POST"])
@login_required
def evaluation_grade_entry():
    access.require_reader()
    require_keeper()
    require_applied()
    form = ScoreForm()
    _entry_choices(form)
    if request.method == "GET" and request.args.get("score", "").isdigit():
        score = get_state().session.get(RolloutScore, int(request.args["score"]))
        if score is None or not access.in_scope(score.agency_code):
            abort(404)
        _prefill(form, score)
    if request.method == "POST":
        session = get_state().session
        valid = form.validate()
        raw = {
            "agency_code": form.agency_code.data,
            "system": form.system.data,
            "year": form.year.data,
            "stage": form.stage.data,
            "score": form.score.data,
            "group": form.group.data,
            "in_it_evaluation": form.in_it_evaluation.data,
            "note": form.note.data,
        }
        try:
            # the shared check even when WTForms refused a field: every problem at once
            row, created = grades.record_score(
                raw,
                actor=getattr(current_user, "username", "") or "",
                source="form",
                allowed=access.scope(),
            )
            if not valid:
                raise grades.ScoreError({})
            session.commit()
        except grades.ScoreError as error:
            session.rollback()
            for name, message in error.problems.items():
                target = form._fields.get(name)
                if target is not None and not target.errors:
                    target.errors = [message]
                elif target is None:
                    form.form_errors = [*form.form_errors, message]
        except BaseException:
            session.rollback()
            raise
        else:
            flash(
                _("The score is recorded: grade %(grade)s (TP-GRADE-1).", grade=row.grade)
                if created
                else _("The score is updated: grade %(grade)s (TP-GRADE-1).", grade=row.grade),
                "success",
            )
            return redirect(url_for("appgov.evaluation_grade", score_id=row.id), code=303)
        return render_template("appgov/evaluation/grade_entry.html", form=form), 400
    return render_template("appgov/evaluation/grade_entry.html", form=form)


# -- the import


class ScoreImportForm(ImportFileForm):
    """A file of roll-out scores (TP-GRADE-0, TP-GRADE-1)."""


@blueprint.route("/evaluation/grades/import", methods=["GET", "POST"])
@login_required
def evaluation_grades_import():
    access.require_reader()
    require_keeper()
    require_applied()
    form = ScoreImportForm()
    report, status = None, 200
    if request.method == "POST":
        report, status = import_upload(
            form,
            lambda data, filename, dry_run: grades_import.import_file(
                data,
                filename,
                dry_run=dry_run,
                allowed=access.scope(),
                actor=getattr(current_user, "username", "") or "",
            ),
        )
    locale = current_locale()
    systems = {s.id: s for s in get_state().session.scalars(sa.select(MajorSystem))}
    body = render_template(
        "appgov/evaluation/grades_import.html",
        form=form,
        report=report,
        limits=limits_text(),
        accepted=accepted_columns(grades_import.COLUMNS),
        agency_name=agency_display_name,
        system_label=lambda sid: (
            grades.system_label(systems[sid], locale) if sid in systems else ""
        ),
        group_label=grades.group_label,
        stage_label=lambda key: SCORE_STAGES.get(key, key),
    )
    return body, status


# -- the review-report cases -------------------------------------------------------------------


class ReviewCasesForm(AppGovForm):
    """The button "Open the review-report cases" of a year (and system)."""

    year = HiddenField()
    system = HiddenField()


@blueprint.post("/evaluation/grades/review-cases")
@login_required
def evaluation_grades_review_cases():
    access.require_reader()
    require_keeper()
    require_applied()
    if not _policy().applies(grades.RULE_FOLLOW_UP):
        abort(404)
    form = ReviewCasesForm()
    if not form.validate():  # the CSRF token
        abort(400)
    raw_year = (form.year.data or "").strip()
    if not raw_year.isdigit() or not 2000 <= int(raw_year) <= 2200:
        abort(400, description=_("Year: a year such as %(year)s.", year=today().year - 1))
    year = int(raw_year)
    system = None
    code = (form.system.data or "").strip()
    if code:
        system = get_state().session.scalar(sa.select(MajorSystem).where(MajorSystem.code == code))
        if system is None:
            abort(400, description=_("System: no major system has the code %(code)s.", code=code))
    session = get_state().session
    try:
        done = grades_followup.open_review_cases(
            year,
            system_id=system.id if system else None,
            agencies=access.scope(),
            actor=getattr(current_user, "username", "") or "",
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    flash(
        _(
            "Review-report cases (TP-GRADE-2): %(opened)s opened, %(existing)s opened before, "
            "%(none)s not opened (the host does not know the agency).",
            opened=len(done.opened),
            existing=len(done.existing),
            none=len(done.not_opened),
        ),
        "success" if not done.not_opened else "warning",
    )
    kept = {"year": year, **({"system": system.code} if system else {})}
    return redirect(url_for("appgov.evaluation_grades", **kept), code=303)
