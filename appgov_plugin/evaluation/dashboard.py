"""The performance evaluation's dashboard figures (issue 14, item 5): what each chart draws
and the same figures as a table (the page shows it beside the chart; the exports write it).

Each section is one :class:`Section`: a key (the export's ``chart`` parameter), a title,
the table's headers and rows of plain values (``int``, ``Decimal``, text, ``None``: the page
formats them per locale, the exports write them as numbers) and the chart's figures
(:meth:`Section.chart_json`, read by ``static/appgov-charts.js``).

* ``downloads`` -- downloads against the target per app (rule KH-KPI-1: the cumulative
  downloads at the year's end against the band's target; rule TN-PERF-1: the installs of the
  year against the agency's own target), from the app's :class:`~.models.AppEvaluation` of
  the year, else from its figures (:func:`.totals.year_figures`) and :class:`~.models.
  AppTarget` (the target computed as the run would, as of the evaluation date);
* ``agencies`` -- the same per agency (the apps with a target summed);
* ``ratings`` -- each store's rating per month (:class:`~.models.AppFigure`): one app's, or
  the mean of the apps in scope weighted by their numbers of ratings;
* ``mailbox`` -- the median hours from a feedback item's arrival to the mailbox's answer,
  per app (:func:`.totals.year_figures`);
* ``grades`` -- the roll-out grades per major system (rule TP-GRADE-1,
  :func:`.grades.grade_distribution`);
* ``learning`` -- the people per agency who reached the yearly learning hours (rule
  TN-LEARN-1, :func:`..training.hours.hours_report`);
* ``seeds`` -- the agencies per major system whose seed users are within the limits (rule
  TP-SEED-1, :func:`..rollout.compliance.compliance`).

A section is built only where the deployment applies its rules (:func:`sections_applied`).
The number of SQL statements does not grow with the apps, agencies or systems: each source
is read in one grouped statement (``tests/test_evaluation_dashboard.py`` counts them).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from babel.dates import format_date as babel_format_date

from ..apps.models import App
from ..clock import today
from ..exports import Table
from ..i18n import _, current_locale, format_date
from ..state import get_state
from .kpi import evaluations
from .models import GRADES, AppEvaluation, AppFigure, AppTarget
from .totals import year_figures

#: The sections in the page's order: key -> the rules one of which the deployment applies
#: for the section to show (``None``: the app figures, where the deployment runs an app
#: evaluation of :func:`.kpi.evaluations`: Kaohsiung's KH-KPI-1/2, Tainan's TN-PERF-1).
SECTION_RULES: dict[str, tuple[str, ...] | None] = {
    "downloads": None,
    "agencies": None,
    "ratings": None,
    "mailbox": None,
    "grades": ("TP-GRADE-1",),
    "learning": ("TN-LEARN-1",),
    "seeds": ("TP-SEED-1",),
}
CHARTS = tuple(SECTION_RULES)
#: Bars a chart draws at most (the table beside it and the exports hold every row).
CHART_LIMIT = 40
#: The canvas font: a CJK-capable stack first (zh_Hant_TW labels), then the system's sans.
FONT_STACK = '"Noto Sans CJK TC", "Noto Sans TC", "PingFang TC", "Microsoft JhengHei", sans-serif'
STORES = ("ios", "android")
CENT = Decimal("0.01")


# -- words and labels --------------------------------------------------------------------------


def chart_locale(locale: str | None = None) -> str:
    """The BCP 47 tag Chart.js formats numbers with."""
    return "zh-TW" if (locale or current_locale()) == "zh_Hant_TW" else "en"


def year_label(year: int, locale: str | None = None) -> str:
    """A calendar year as its reader names it (TIME-5): 民國 115 年 in zh, 2026 in en."""
    if (locale or current_locale()) == "zh_Hant_TW" and year >= 1912:
        return f"民國 {year - 1911} 年"
    return str(year)


def month_label(year: int, month: int, locale: str | None = None) -> str:
    """A month as its reader names it (TIME-5): 115 年 1 月 in zh (the ROC year), Jan 2026 in
    en."""
    if (locale or current_locale()) == "zh_Hant_TW" and year >= 1912:
        return f"{year - 1911} 年 {month} 月"
    return babel_format_date(dt.date(year, month, 1), "MMM y", locale="en")


def met_text(value: bool | None) -> str:
    """Whether a target is met, in words (never by colour alone)."""
    if value is None:
        return _("No target")
    return _("Met") if value else _("Not met")


# -- a section --------------------------------------------------------------------------------


@dataclass
class Dataset:
    label: str
    values: list[Any]


@dataclass
class Section:
    """One chart and its table."""

    key: str
    title: str
    description: str
    headers: list[str]
    rows: list[list[Any]]
    #: the chart: "bar" or "line"; its category labels and datasets (the first
    #: :data:`CHART_LIMIT` rows at most)
    kind: str = "bar"
    labels: list[str] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)
    horizontal: bool = False
    stacked: bool = False
    axis_max: Decimal | int | None = None
    axis_title: str = ""
    #: the row-header column's data key per row (tests and scripts find a row by it)
    keys: list[str] = field(default_factory=list)
    empty: str = ""

    @property
    def truncated(self) -> bool:
        return len(self.labels) < len(self.rows)

    @property
    def aria_label(self) -> str:
        return _("Chart: %(title)s; the figures are in the table that follows.", title=self.title)

    def chart_json(self, locale: str | None = None) -> str:
        """The chart's figures for ``data-appgov-chart`` (JSON; numbers as decimal text,
        exact: the script reads them with ``Number``)."""

        def value(v):
            return None if v is None else str(v)

        return json.dumps(
            {
                "type": self.kind,
                "labels": self.labels,
                "datasets": [
                    {"label": d.label, "data": [value(v) for v in d.values]} for d in self.datasets
                ],
                "horizontal": self.horizontal,
                "stacked": self.stacked,
                "max": value(self.axis_max),
                "axisTitle": self.axis_title,
                "locale": chart_locale(locale),
                "font": FONT_STACK,
            },
            ensure_ascii=False,
        )

    def table(self, year: int) -> Table:
        """The export: the same headers and rows (numbers as numbers)."""
        return Table(self.headers, self.rows, title=f"{self.title} {year}")


# -- what the sections read ---------------------------------------------------------------------


@dataclass
class Context:
    """What every section of one page shares: the year, the reader's agencies (``None``:
    all), the policy as of the evaluation date, the apps in scope and the agencies' names."""

    year: int
    scope: set[str] | None
    policy: Any
    names: dict[str, str]
    app_id: int | None = None
    _apps: list[App] | None = None
    _figures: dict | None = None

    @property
    def day(self) -> dt.date:
        """The evaluation date: 31 December, or today for the current year."""
        return min(dt.date(self.year, 12, 31), today())

    def apps(self) -> list[App]:
        """The apps in scope with an evaluation, figures or a target of the year (one
        statement)."""
        if self._apps is None:
            year = self.year
            has = sa.or_(
                sa.exists().where(AppEvaluation.app_id == App.id, AppEvaluation.year == year),
                sa.exists().where(AppFigure.app_id == App.id, AppFigure.year == year),
                sa.exists().where(AppTarget.app_id == App.id, AppTarget.year == year),
            )
            query = sa.select(App).where(has).order_by(App.agency_code, App.name, App.id)
            if self.scope is not None:
                query = query.where(App.agency_code.in_(sorted(self.scope)))
            self._apps = list(get_state().session.scalars(query))
        return self._apps

    def figures(self) -> dict:
        """:func:`.totals.year_figures` of the apps in scope (five statements)."""
        if self._figures is None:
            ids = None if self.scope is None else [a.id for a in self.apps()]
            self._figures = year_figures(self.year, ids) if ids is None or ids else {}
        return self._figures

    def app_name(self, app: App) -> str:
        return app.display_name(current_locale())

    def agency_name(self, code: str) -> str:
        return self.names.get(code, code)


# -- downloads against the target (KH-KPI-1, TN-PERF-1) -----------------------------------------


@dataclass
class AppDownloads:
    app: App
    downloads: int
    target: int | None
    evaluated: bool

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.downloads >= self.target


def app_downloads(ctx: Context) -> list[AppDownloads]:
    """Each app's downloads and target: from its evaluation of the year (rule KH-KPI-1: the
    cumulative downloads and the band's target; rule TN-PERF-1: the installs of the year
    and the agency's own target), else from its figures and target (two statements and
    :meth:`Context.figures`)."""
    apps = ctx.apps()
    if not apps:
        return []
    session = get_state().session
    ids = [a.id for a in apps]
    results = {
        r.app_id: r
        for r in session.scalars(
            sa.select(AppEvaluation).where(
                AppEvaluation.year == ctx.year, AppEvaluation.app_id.in_(ids)
            )
        )
    }
    targets = {
        t.app_id: t
        for t in session.scalars(
            sa.select(AppTarget).where(AppTarget.year == ctx.year, AppTarget.app_id.in_(ids))
        )
    }
    keys = evaluations(ctx.policy)
    kaohsiung = bool(keys) and keys[0] == "kaohsiung"
    out: list[AppDownloads | None] = []
    for app in apps:
        result = results.get(app.id)
        if result is not None and result.evaluation == "kaohsiung":
            out.append(AppDownloads(app, result.downloads, result.download_target, True))
            continue
        if result is not None:  # Tainan: the installs check of TN-PERF-1
            check = next((c for c in result.checks or () if c.get("measure") == "installs"), None)
            if check is not None:
                out.append(AppDownloads(app, int(check["value"]), int(check["target"]), True))
                continue
        out.append(None)
    figures = ctx.figures() if None in out else {}
    for index, app in enumerate(apps):
        if out[index] is not None:
            continue
        fig, target = figures.get(app.id), targets.get(app.id)
        if kaohsiung:  # rule KH-KPI-1, as the run computes it on the evaluation date
            downloads = fig.downloads if fig else 0
            population = target.target_population if target else None
            goal = None if population is None else ctx.policy.download_target(population)
        else:  # rule TN-PERF-1: the installs of the year against the agency's own target
            downloads = fig.downloads_in_year if fig else 0
            goal = target.installs_target if target else None
        out[index] = AppDownloads(app, downloads, goal, app.id in results)
    return out


def _downloads_headers(ctx: Context) -> tuple[str, str]:
    keys = evaluations(ctx.policy)
    if keys and keys[0] == "kaohsiung":
        return _("Downloads to the year's end"), _("Download target (KH-KPI-1)")
    return _("Installs in the year"), _("Installs target (TN-PERF-1)")


def downloads_section(ctx: Context) -> Section:
    items = app_downloads(ctx)
    done, goal = _downloads_headers(ctx)
    rows = [
        [
            ctx.app_name(i.app),
            ctx.agency_name(i.app.agency_code),
            i.downloads,
            i.target,
            met_text(i.met),
            _("Evaluation result") if i.evaluated else _("Figures and targets (not yet evaluated)"),
        ]
        for i in items
    ]
    shown = items[:CHART_LIMIT]
    return Section(
        key="downloads",
        title=_("Downloads against the target per app"),
        description=_(
            "Each app's downloads beside its target: from the year's evaluation result, else "
            "from the figures and the target entered so far."
        ),
        headers=[_("App"), _("Agency"), done, goal, _("Target met"), _("Figures from")],
        rows=rows,
        labels=[ctx.app_name(i.app) for i in shown],
        datasets=[
            Dataset(done, [i.downloads for i in shown]),
            Dataset(goal, [i.target for i in shown]),
        ],
        horizontal=True,
        keys=[str(i.app.id) for i in items],
        empty=_("No app in your scope has figures, a target or a result for this year."),
    )


def agencies_section(ctx: Context, items: list[AppDownloads] | None = None) -> Section:
    """Per agency: its apps, those meeting their target, the downloads and the targets of
    the apps with a target (summed exactly)."""
    items = app_downloads(ctx) if items is None else items
    done, goal = _downloads_headers(ctx)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for i in items:
        t = totals[i.app.agency_code]
        t[0] += 1
        if i.target is not None:
            t[1] += 1
            t[2] += bool(i.met)
            t[3] += i.downloads
            t[4] += i.target
    codes = sorted(totals, key=lambda c: (ctx.agency_name(c), c))
    rows = [
        [
            ctx.agency_name(c),
            totals[c][0],
            totals[c][1],
            totals[c][2],
            totals[c][3],
            totals[c][4],
        ]
        for c in codes
    ]
    shown = codes[:CHART_LIMIT]
    return Section(
        key="agencies",
        title=_("Downloads against the target per agency"),
        description=_(
            "The downloads and the targets of each agency's apps that have a target, added up."
        ),
        headers=[
            _("Agency"),
            _("Number of apps"),
            _("Apps with a target"),
            _("Apps meeting their target"),
            done,
            goal,
        ],
        rows=rows,
        labels=[ctx.agency_name(c) for c in shown],
        datasets=[
            Dataset(done, [totals[c][3] for c in shown]),
            Dataset(goal, [totals[c][4] for c in shown]),
        ],
        horizontal=True,
        keys=codes,
        empty=_("No app in your scope has figures, a target or a result for this year."),
    )


# -- the rating trend per store (KH-KPI-2, TN-PERF-1) -------------------------------------------


def _mean(sides: list[tuple[Decimal, int | None]]) -> Decimal | None:
    """The month's rating of the apps: weighted by their numbers of ratings when every app
    gives one (and they add up to more than 0), else the plain mean; exact, two places."""
    if not sides:
        return None
    if all(count is not None for _v, count in sides) and sum(c for _v, c in sides) > 0:
        value = sum(v * c for v, c in sides) / sum(c for _v, c in sides)
    else:
        value = sum(v for v, _c in sides) / len(sides)
    return Decimal(value).quantize(CENT)


def monthly_ratings(ctx: Context) -> list[list[Any]]:
    """[month, iOS rating, iOS ratings, Android rating, Android ratings] of each month of the
    year with a rating: one app's (``ctx.app_id``), else the apps in scope's (one
    statement)."""
    f = AppFigure
    query = (
        sa.select(f.month, f.rating_ios, f.ratings_ios, f.rating_android, f.ratings_android)
        .join(App, App.id == f.app_id)
        .where(f.year == ctx.year)
        .where(sa.or_(f.rating_ios.is_not(None), f.rating_android.is_not(None)))
        .order_by(f.month)
    )
    if ctx.app_id is not None:
        query = query.where(f.app_id == ctx.app_id)
    if ctx.scope is not None:
        query = query.where(App.agency_code.in_(sorted(ctx.scope)))
    months: dict[int, dict[str, list]] = {}
    for month, r_ios, n_ios, r_android, n_android in get_state().session.execute(query):
        sides = months.setdefault(month, {"ios": [], "android": []})
        if r_ios is not None:
            sides["ios"].append((Decimal(r_ios), n_ios))
        if r_android is not None:
            sides["android"].append((Decimal(r_android), n_android))
    rows = []
    for month in sorted(months):
        row: list[Any] = [month]
        for store in STORES:
            sides = months[month][store]
            counts = [c for _v, c in sides if c is not None]
            row += [_mean(sides), sum(counts) if counts else None]
        rows.append(row)
    return rows


def ratings_section(ctx: Context, app: App | None = None) -> Section:
    data = monthly_ratings(ctx)
    labels = [month_label(ctx.year, row[0]) for row in data]
    title = (
        _("Rating per store and month: %(app)s", app=ctx.app_name(app))
        if app is not None
        else _("Rating per store and month")
    )
    return Section(
        key="ratings",
        title=title,
        description=(
            _("The app's overall rating in each store at the month's end.")
            if app is not None
            else _(
                "The apps' overall rating in each store at the month's end, averaged over the "
                "apps weighted by their numbers of ratings."
            )
        ),
        headers=[
            _("Month"),
            _("iOS rating"),
            _("iOS number of ratings"),
            _("Android rating"),
            _("Android number of ratings"),
        ],
        rows=[[label, *row[1:]] for label, row in zip(labels, data, strict=True)],
        kind="line",
        labels=labels,
        datasets=[
            Dataset(_("iOS rating"), [row[1] for row in data]),
            Dataset(_("Android rating"), [row[3] for row in data]),
        ],
        axis_max=5,
        axis_title=_("Stars"),
        keys=[str(row[0]) for row in data],
        empty=_("No rating was recorded for this year."),
    )


# -- mailbox response times ----------------------------------------------------------------------


def mailbox_section(ctx: Context) -> Section:
    figures = ctx.figures()
    items = [
        (app, figures[app.id])
        for app in ctx.apps()
        if app.id in figures and figures[app.id].feedback_count
    ]
    shown = [(a, f) for a, f in items if f.median_response_hours is not None][:CHART_LIMIT]
    return Section(
        key="mailbox",
        title=_("Mailbox response times per app"),
        description=_(
            "The median hours from a feedback item's arrival to the mailbox's answer, of the "
            "items that arrived in the year."
        ),
        headers=[
            _("App"),
            _("Agency"),
            _("Feedback items"),
            _("Median response time (hours)"),
        ],
        rows=[
            [
                ctx.app_name(a),
                ctx.agency_name(a.agency_code),
                f.feedback_count,
                f.median_response_hours,
            ]
            for a, f in items
        ],
        labels=[ctx.app_name(a) for a, _f in shown],
        datasets=[
            Dataset(_("Median response time (hours)"), [f.median_response_hours for _a, f in shown])
        ],
        horizontal=True,
        axis_title=_("Hours"),
        keys=[str(a.id) for a, _f in items],
        empty=_("No feedback arrived for your apps in this year."),
    )


# -- roll-out grades (TP-GRADE-1) ---------------------------------------------------------------


def grades_section(ctx: Context) -> Section:
    from ..rollout.models import MajorSystem
    from .grades import grade_distribution, system_label

    counts = grade_distribution(ctx.year, ctx.scope)
    systems = (
        list(
            get_state().session.scalars(
                sa.select(MajorSystem)
                .where(MajorSystem.id.in_(list(counts)))
                .order_by(MajorSystem.code)
            )
        )
        if counts
        else []
    )
    locale = current_locale()
    rows = [
        [system_label(s, locale), *(counts[s.id][g] for g in GRADES), sum(counts[s.id].values())]
        for s in systems
    ]
    shown = systems[:CHART_LIMIT]
    return Section(
        key="grades",
        title=_("Roll-out grades per major system"),
        description=_(
            "How many agencies each major system's roll-out evaluation graded A+ to E (TP-GRADE-1)."
        ),
        headers=[_("Major system"), *GRADES, _("Agencies graded")],
        rows=rows,
        labels=[system_label(s, locale) for s in shown],
        datasets=[
            Dataset(_("Grade %(grade)s", grade=g), [counts[s.id][g] for s in shown]) for g in GRADES
        ],
        stacked=True,
        axis_title=_("Agencies"),
        keys=[s.code for s in systems],
        empty=_("No roll-out score of this year is recorded."),
    )


# -- learning hours (TN-LEARN-1) ----------------------------------------------------------------


def learning_section(ctx: Context) -> Section:
    from ..training.hours import hours_report

    report = hours_report(ctx.year, ctx.scope, policy=ctx.policy)
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in report.rows:
        per[row.agency_code][0] += 1
        per[row.agency_code][1] += report.is_below(row)
    codes = sorted(per, key=lambda c: (ctx.agency_name(c), c))
    rows = [
        [ctx.agency_name(c), per[c][0], per[c][0] - per[c][1], per[c][1], report.target]
        for c in codes
    ]
    shown = codes[:CHART_LIMIT]
    return Section(
        key="learning",
        title=_("Learning hours per agency"),
        description=_(
            "The people of each agency who reached the year's %(target)s learning hours, and "
            "those below them (TN-LEARN-1).",
            target=report.target,
        ),
        headers=[
            _("Agency"),
            _("People"),
            _("Reached the target"),
            _("Below the target"),
            _("Target (hours)"),
        ],
        rows=rows,
        labels=[ctx.agency_name(c) for c in shown],
        datasets=[
            Dataset(_("Reached the target"), [per[c][0] - per[c][1] for c in shown]),
            Dataset(_("Below the target"), [per[c][1] for c in shown]),
        ],
        horizontal=True,
        stacked=True,
        axis_title=_("People"),
        keys=codes,
        empty=_("No person of your agencies is in the training registry."),
    )


# -- seed users (TP-SEED-1) ---------------------------------------------------------------------


def seeds_section(ctx: Context) -> Section:
    from ..rollout.compliance import compliance
    from ..rollout.views import read_scope

    result = compliance(
        get_state().session, ctx.policy, ctx.day, agency_codes=read_scope(ctx.scope)
    )
    per: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for status in result.statuses:
        checks = {b.check for b in status.breaches}
        t = per[status.system_id]
        t[0] += 1
        if "seeds_low" in checks:
            t[2] += 1
        elif "seeds_high" in checks:
            t[3] += 1
        else:
            t[1] += 1
    locale = current_locale()
    systems = [s for s in result.systems.values() if s.id in per]
    rows = [[s.display_name(locale), *per[s.id]] for s in systems]
    shown = systems[:CHART_LIMIT]
    return Section(
        key="seeds",
        title=_("Seed users per major system"),
        description=_(
            "The agencies in scope of each major system on %(day)s whose seed users are within "
            "the limits of their headcount, too few or too many (TP-SEED-1).",
            day=_short_date(ctx.day),
        ),
        headers=[
            _("Major system"),
            _("Agencies in scope"),
            _("Within the limits"),
            _("Too few seed users"),
            _("Too many seed users"),
        ],
        rows=rows,
        labels=[s.display_name(locale) for s in shown],
        datasets=[
            Dataset(_("Within the limits"), [per[s.id][1] for s in shown]),
            Dataset(_("Too few seed users"), [per[s.id][2] for s in shown]),
            Dataset(_("Too many seed users"), [per[s.id][3] for s in shown]),
        ],
        stacked=True,
        axis_title=_("Agencies"),
        keys=[s.code for s in systems],
        empty=_("No agency of yours is in scope of a major system."),
    )


def _short_date(day: dt.date) -> str:
    return format_date(day, style="short")


# -- which sections ------------------------------------------------------------------------------


def sections_applied(policy) -> list[str]:
    """The sections this deployment uses (rules.md, "Profiles are real")."""
    apps = bool(evaluations(policy))
    out = []
    for key, rules in SECTION_RULES.items():
        if rules is None:
            if apps:
                out.append(key)
        elif any(policy.applies(rule) for rule in rules):
            out.append(key)
    return out


BUILDERS: dict[str, Callable[..., Section]] = {
    "downloads": downloads_section,
    "agencies": agencies_section,
    "ratings": ratings_section,
    "mailbox": mailbox_section,
    "grades": grades_section,
    "learning": learning_section,
    "seeds": seeds_section,
}


def build(key: str, ctx: Context, **extra) -> Section:
    return BUILDERS[key](ctx, **extra)
