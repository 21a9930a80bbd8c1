"""Roll-out scores, their grades and the published ranking (TP-GRADE-0, TP-GRADE-1).

* :func:`check_score` -- the ONE validation of a score, shared by the IT department's form,
  the file import (:mod:`.grades_import`) and Flask-Admin (:mod:`.admin_grades`): the agency
  in the system's scope (not excluded by a mayor-approved case, TP-WG-1) and in the keeper's
  scope, the year, the stage (TP-GRADE-0: ``golive`` once per agency and system, then
  ``operations`` yearly), the score (0 to 100, at most two decimals, TP-GRADE-1), the group
  (TP-GRADE-0: the nature of the agency's business -- by default its kind in the roll-out
  registry -- or a group the IT department names) and whether the agency is in the yearly IT
  evaluation (TP-GRADE-2). Every problem names its field; nothing is written.
* :func:`record_score` -- one score written (a new row, or the row of the same agency,
  system and year updated), its grade from ``policy.grade(score)`` (rule TP-GRADE-1) as of
  the evaluation date (:func:`evaluation_date`).
* :func:`ranking` -- the ranking TP-GRADE-1 publishes per system, year and group: A+ and A
  from the highest score down, D and E from the lowest score up; equal scores share a rank
  (1, 2, 2, 4), each marked as a tie. B and C are graded and listed (from high to low) but
  not ranked: the seed (玖、四) ranks only A+/A and D/E. The ranking is published
  (並予公開): the agencies of the city read it (:mod:`.grades_views`).
* :func:`grade_distribution` -- grades counted per system in one query (the dashboards).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from .. import clock
from ..i18n import _, _l
from ..import_columns import normalise_label
from ..rollout.importer import KIND_NAMES
from ..rollout.models import AGENCY_KINDS, MajorSystem, RolloutAgency, SystemScope
from ..state import get_state
from .models import FIRST_YEAR, GRADES, LAST_YEAR, RolloutScore

#: The rules this module enforces.
RULE_STAGE, RULE_BANDS, RULE_FOLLOW_UP = "TP-GRADE-0", "TP-GRADE-1", "TP-GRADE-2"
#: The grades TP-GRADE-1 ranks from the top (high to low) and from the bottom (low to high).
TOP_GRADES = ("A+", "A")
BOTTOM_GRADES = ("D", "E")
#: Score bounds (TP-GRADE-1: 0-100, decimals allowed; two places stored).
SCORE_MIN, SCORE_MAX, SCORE_PLACES = Decimal(0), Decimal(100), 2
#: A group key's and a note's length (characters).
GROUP_LIMIT, NOTE_LIMIT = 40, 2000
#: Where a score came from.
SCORE_SOURCES = {
    "form": _l("Entered by the IT department"),
    "import": _l("Imported from a file"),
    "admin": _l("Entered in the administration"),
    "demo": _l("Demonstration data"),
}
#: How a file or a form may name a stage (the key, English, Chinese).
STAGE_NAMES = {
    "golive": "golive",
    "go-live": "golive",
    "go live": "golive",
    "at go-live": "golive",
    "系統上線": "golive",
    "上線": "golive",
    "operations": "operations",
    "operation": "operations",
    "yearly": "operations",
    "系統維運": "operations",
    "維運": "operations",
}


class ScoreError(ValueError):
    """A score refused; ``problems``: {field: message}, every field named."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


# -- reading one value --------------------------------------------------------------------------


def parse_score(value: Any) -> Decimal:
    """A score: a number from 0 to 100 with at most two decimals (rule TP-GRADE-1), read
    exactly (``Decimal``, never a float). ``ValueError`` says what is wrong."""
    if isinstance(value, bool) or value is None:
        raise ValueError(_("Score: enter a number from 0 to 100, e.g. 87.5."))
    if isinstance(value, float):  # a spreadsheet's float: its shortest decimal form
        value = repr(value)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(
            _("Score: “%(value)s” is not a number from 0 to 100, e.g. 87.5.", value=value)
        )
    if number.as_tuple().exponent < -SCORE_PLACES and number != number.quantize(Decimal("0.01")):
        raise ValueError(
            _("Score: at most two decimals (%(value)s has more).", value=format(number, "f"))
        )
    if not SCORE_MIN <= number <= SCORE_MAX:
        raise ValueError(
            _("Score: from 0 to 100 (TP-GRADE-1); %(value)s is not.", value=format(number, "f"))
        )
    return number.quantize(Decimal("0.01"))


def parse_stage(value: Any) -> str:
    key = STAGE_NAMES.get(" ".join(str(value or "").strip().casefold().split()))
    if key is None:
        raise ValueError(
            _(
                "Stage: “%(value)s” is neither golive (at go-live) nor operations (yearly) "
                "(TP-GRADE-0).",
                value=value,
            )
        )
    return key


def evaluation_date(year: int) -> dt.date:
    """The day whose rule parameters grade the year's scores: 31 December, or today for the
    current year."""
    return min(dt.date(year, 12, 31), clock.today())


def grade_of(score: Decimal, year: int, policy=None) -> str:
    """rule TP-GRADE-1: the grade of ``score`` from the policy facade as of the evaluation
    date of ``year``."""
    policy = policy or get_state().policy(as_of=evaluation_date(year))
    return policy.grade(score)


def group_label(key: str | None) -> str:
    """A group as its reader names it: an agency kind's label, else the group as named."""
    if key in AGENCY_KINDS:
        return str(AGENCY_KINDS[key])
    return key or ""


def system_label(system: MajorSystem, locale: str | None = None) -> str:
    """A system as the pages name it (its code is the registry's key, not a reader's word)."""
    return system.display_name(locale)


# -- what a check needs to know (a few queries for any number of rows) ---------------------------


@dataclass
class Known:
    """The registry as the checks need it, read once for a form or a whole file."""

    systems: dict[str, MajorSystem]  # by code
    systems_by_id: dict[int, MajorSystem]
    #: (system id, agency code) -> excluded? (TP-WG-1)
    scope: dict[tuple[int, str], bool]
    kinds: dict[str, str]  # agency code -> registry kind
    #: (system id, agency code) -> the year of its go-live score, and the row's id
    golive: dict[tuple[int, str], tuple[int, int]]
    #: (agency code, system id, year) -> the recorded row's id
    recorded: dict[tuple[str, int, int], int]
    #: the agencies the keeper records for (``None``: all)
    allowed: set[str] | None = None

    @classmethod
    def load(cls, allowed: set[str] | None, agencies: Iterable[str] | None = None) -> Known:
        """Four queries; ``agencies`` narrows the scores and kinds read (a form's one)."""
        session = get_state().session
        systems = list(session.scalars(sa.select(MajorSystem).order_by(MajorSystem.code)))
        scope_q = sa.select(SystemScope.system_id, SystemScope.agency_code, SystemScope.excluded_on)
        kinds_q = sa.select(RolloutAgency.code, RolloutAgency.kind)
        scores_q = sa.select(
            RolloutScore.id,
            RolloutScore.agency_code,
            RolloutScore.system_id,
            RolloutScore.year,
            RolloutScore.stage,
        )
        if agencies is not None:
            codes = sorted(set(agencies))
            scope_q = scope_q.where(SystemScope.agency_code.in_(codes))
            kinds_q = kinds_q.where(RolloutAgency.code.in_(codes))
            scores_q = scores_q.where(RolloutScore.agency_code.in_(codes))
        golive, recorded = {}, {}
        for score_id, code, system_id, year, stage in session.execute(scores_q):
            recorded[(code, system_id, year)] = score_id
            if stage == "golive":
                golive[(system_id, code)] = (year, score_id)
        return cls(
            systems={s.code: s for s in systems},
            systems_by_id={s.id: s for s in systems},
            scope={
                (sid, code): excluded is not None
                for sid, code, excluded in session.execute(scope_q)
            },
            kinds=dict(session.execute(kinds_q).all()),
            golive=golive,
            recorded=recorded,
            allowed=allowed,
        )


@dataclass
class ScoreValues:
    """A checked score, ready to write."""

    agency_code: str
    system_id: int
    year: int
    stage: str
    score: Decimal
    grade: str
    group_key: str
    in_it_evaluation: bool
    note: str = ""
    existing_id: int | None = None


def check_score(
    raw: dict[str, Any], known: Known, *, policy=None, own_id: int | None = None
) -> ScoreValues:
    """Check one score; :class:`ScoreError` naming every bad field. ``raw`` holds
    ``agency_code``, ``system`` (a code or a :class:`MajorSystem`'s id), ``year``, ``stage``,
    ``score``, ``group`` (empty: the agency's kind), ``in_it_evaluation`` (``None``: yes) and
    ``note``. ``own_id``: the row being edited (Flask-Admin), which may keep its key."""
    problems: dict[str, str] = {}
    code = str(raw.get("agency_code") or "").strip()
    system = raw.get("system")
    system = (
        known.systems_by_id.get(system)
        if isinstance(system, int)
        else known.systems.get(str(system or "").strip())
    )
    if system is None:
        problems["system"] = (
            _("System: no major system has the code %(code)s.", code=raw.get("system"))
            if raw.get("system") not in (None, "")
            else _("System: choose a major system.")
        )
    allowed = known.allowed is None or code in known.allowed
    if not code:
        problems["agency_code"] = _("Agency: give the agency's code.")
    elif not allowed:  # another city's agency: the answer for an unknown one
        problems["agency_code"] = _("Agency: no agency of yours has the code %(code)s.", code=code)
    elif system is not None:
        excluded = known.scope.get((system.id, code))
        if excluded is None:
            problems["agency_code"] = _(
                "Agency: %(code)s is not in the scope of %(system)s (TP-GRADE-0).",
                code=code,
                system=system.code,
            )
        elif excluded:
            problems["agency_code"] = _(
                "Agency: %(code)s was taken out of the scope of %(system)s by a "
                "mayor-approved case (TP-WG-1); it is not evaluated.",
                code=code,
                system=system.code,
            )
    year = raw.get("year")
    try:
        year = int(str(year).strip()) if not isinstance(year, int) else year
        if isinstance(raw.get("year"), bool) or not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError
        if year > clock.today().year:
            problems["year"] = _("Year: %(year)s has not begun.", year=year)
    except (TypeError, ValueError):
        problems["year"] = _(
            "Year: a year from %(first)s to %(last)s (e.g. 2025).",
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
        year = None
    try:
        stage = parse_stage(raw.get("stage") or "operations")
    except ValueError as error:
        problems["stage"], stage = str(error), None
    if stage == "golive" and system is not None and year is not None and code:
        # rule TP-GRADE-0: the go-live evaluation is made once
        earlier = known.golive.get((system.id, code))
        if earlier is not None and earlier[0] != year and earlier[1] != own_id:
            problems["stage"] = _(
                "Stage: %(code)s has its go-live score of %(system)s in %(year)s already; "
                "the go-live evaluation is made once, later years are operations "
                "(TP-GRADE-0).",
                code=code,
                system=system.code,
                year=earlier[0],
            )
    try:
        score = parse_score(raw.get("score"))
    except ValueError as error:
        problems["score"], score = str(error), None
    group = str(raw.get("group") or "").strip()
    if group:
        group = KIND_NAMES.get(normalise_label(group), group)
        if len(group) > GROUP_LIMIT:
            problems["group"] = _(
                "Group: at most %(limit)s characters; this one has %(have)s.",
                limit=GROUP_LIMIT,
                have=len(group),
            )
    elif code:
        group = known.kinds.get(code, "")
        if not group:
            problems["group"] = _(
                "Group: the roll-out registry has no kind for %(code)s; name its group "
                "(TP-GRADE-0).",
                code=code,
            )
    in_it = raw.get("in_it_evaluation")
    note = str(raw.get("note") or "").strip()
    if len(note) > NOTE_LIMIT:
        problems["note"] = _(
            "Note: at most %(limit)s characters; this one has %(have)s.",
            limit=NOTE_LIMIT,
            have=len(note),
        )
    if problems:
        raise ScoreError(problems)
    existing = known.recorded.get((code, system.id, year))
    if own_id is not None and existing is not None and existing != own_id:
        raise ScoreError(
            {
                "year": _(
                    "Year: %(code)s has a score of %(system)s for %(year)s already; edit that one.",
                    code=code,
                    system=system.code,
                    year=year,
                )
            }
        )
    return ScoreValues(
        agency_code=code,
        system_id=system.id,
        year=year,
        stage=stage,
        score=score,
        grade=grade_of(score, year, policy),  # rule TP-GRADE-1
        group_key=group,
        in_it_evaluation=True if in_it is None else bool(in_it),
        note=note,
        existing_id=existing if own_id is None else own_id,
    )


FIELDS = ("stage", "score", "grade", "group_key", "in_it_evaluation", "note")


def apply_values(row: RolloutScore, values: ScoreValues) -> bool:
    """Write ``values`` on ``row``; whether anything changed."""
    changed = False
    for name in ("agency_code", "system_id", "year", *FIELDS):
        new = getattr(values, name)
        if getattr(row, name) != new:
            setattr(row, name, new)
            changed = True
    return changed


def record_score(raw: dict[str, Any], *, actor: str, source: str = "form", allowed=None):
    """Check and write one score (no commit): ``(row, created)``; :class:`ScoreError`."""
    code = str(raw.get("agency_code") or "").strip()
    known = Known.load(allowed, agencies=[code] if code else [])
    values = check_score(raw, known)
    session = get_state().session
    if values.existing_id is not None:
        row = session.get(RolloutScore, values.existing_id, with_for_update=True)
        created = False
    else:
        row, created = RolloutScore(), True
        session.add(row)
    apply_values(row, values)
    row.source, row.recorded_by = source, actor
    session.flush()
    return row, created


# -- the ranking ----------------------------------------------------------------------------------


@dataclass
class Ranked:
    """One row of the published ranking: the score, its rank within the grades ranked
    (``None`` for B and C), whether it ties, and the side it is ranked from."""

    score: RolloutScore
    rank: int | None = None
    tied: bool = False
    side: str | None = None  # "top" (A+, A) or "bottom" (D, E)


@dataclass
class GroupRanking:
    group_key: str
    rows: list[Ranked] = field(default_factory=list)

    @property
    def label(self) -> str:
        return group_label(self.group_key)


def _ranked(rows: list[RolloutScore], side: str) -> list[Ranked]:
    """Competition ranking (1, =2, =2, 4): equal scores share a rank (rule TP-GRADE-1)."""
    counts: dict[Decimal, int] = defaultdict(int)
    for row in rows:
        counts[row.score] += 1
    out, rank, previous = [], 0, None
    for position, row in enumerate(rows, start=1):
        if row.score != previous:
            rank, previous = position, row.score
        out.append(Ranked(row, rank, counts[row.score] > 1, side))
    return out


def rank_group(rows: Iterable[RolloutScore]) -> list[Ranked]:
    """rule TP-GRADE-1: A+ and A from high to low, ranked; B and C from high to low, not
    ranked; D and E from low to high, ranked. Ties: the same rank. Equal scores keep the
    agency code's order (stable, so the page and the export agree)."""
    rows = sorted(rows, key=lambda r: r.agency_code)
    top = sorted((r for r in rows if r.grade in TOP_GRADES), key=lambda r: -r.score)
    middle = sorted(
        (r for r in rows if r.grade not in TOP_GRADES + BOTTOM_GRADES), key=lambda r: -r.score
    )
    bottom = sorted((r for r in rows if r.grade in BOTTOM_GRADES), key=lambda r: r.score)
    return [*_ranked(top, "top"), *(Ranked(r) for r in middle), *_ranked(bottom, "bottom")]


def scores_query(year: int, system_id: int | None = None, agencies: set[str] | None = None):
    query = sa.select(RolloutScore).where(RolloutScore.year == year)
    if system_id is not None:
        query = query.where(RolloutScore.system_id == system_id)
    if agencies is not None:
        query = query.where(RolloutScore.agency_code.in_(sorted(agencies)))
    return query.order_by(RolloutScore.group_key, RolloutScore.agency_code)


def ranking(
    system_id: int, year: int, *, group: str | None = None, agencies: set[str] | None = None
) -> list[GroupRanking]:
    """The published ranking of one system and year, per group (one query)."""
    query = scores_query(year, system_id, agencies)
    if group:
        query = query.where(RolloutScore.group_key == group)
    groups: dict[str, list[RolloutScore]] = defaultdict(list)
    for row in get_state().session.scalars(query):
        groups[row.group_key].append(row)
    return [GroupRanking(key, rank_group(rows)) for key, rows in sorted(groups.items())]


def rank_text(ranked: Ranked) -> str:
    """The rank as the page and the export show it: "1 from the top", "2 from the top
    (tie)" (a word, not "=": a spreadsheet reads a leading "=" as a formula); B and C "not
    ranked"."""
    if ranked.rank is None:
        return _("Not ranked (B and C)")
    if ranked.side == "top":
        return (
            _("%(rank)s from the top (tie)", rank=ranked.rank)
            if ranked.tied
            else _("%(rank)s from the top", rank=ranked.rank)
        )
    return (
        _("%(rank)s from the bottom (tie)", rank=ranked.rank)
        if ranked.tied
        else _("%(rank)s from the bottom", rank=ranked.rank)
    )


# -- the dashboards --------------------------------------------------------------------------------


def grade_distribution(year: int, agencies: set[str] | None = None) -> dict[int, dict[str, int]]:
    """``{system_id: {grade: count}}`` of ``year`` (every grade present, zeros included),
    one query; ``agencies`` narrows it to the reader's scope (``None``: all)."""
    query = (
        sa.select(RolloutScore.system_id, RolloutScore.grade, sa.func.count())
        .where(RolloutScore.year == year)
        .group_by(RolloutScore.system_id, RolloutScore.grade)
    )
    if agencies is not None:
        query = query.where(RolloutScore.agency_code.in_(sorted(agencies)))
    out: dict[int, dict[str, int]] = {}
    for system_id, grade, count in get_state().session.execute(query):
        out.setdefault(system_id, dict.fromkeys(GRADES, 0))[grade] = count
    return out
