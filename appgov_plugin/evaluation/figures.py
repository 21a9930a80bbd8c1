"""An app's figures per month and its targets per year: the ONE check and save path (issue
14, item 1; KH-KPI-1, KH-KPI-2, KH-KPI-5, TN-PERF-1).

Every way figures arrive goes through here -- the agency's 12-month form
(:mod:`.figures_views`), the file import (:mod:`.figures_import`), Flask-Admin
(:mod:`.admin_figures`) and the city's hook ``appgov_collect_app_figures``
(``flask appgov evaluation collect YEAR``, :mod:`.hookspecs`):

* :func:`save_figures` -- one app's figures of one month (:class:`~.models.AppFigure`),
  upserted on (app, year, month): downloads per store and uninstalls (whole numbers from 0
  to 1,000,000,000), each store's rating (0 to 5, at most two decimals, read exactly as a
  ``Decimal``) and its number of ratings (a count without its rating is refused: KH-KPI-2
  combines the two). Month 1 to 12, year from FIRST_YEAR to LAST_YEAR and not in the
  future (nor a month not yet begun).
* :func:`save_target` -- what one app is measured against in one year
  (:class:`~.models.AppTarget`): Kaohsiung's target population and where the figure comes
  from (rule KH-KPI-1), Tainan's targets the agency sets itself (rule TN-PERF-1).

A refusal is :class:`FiguresError` with ``problems`` ``{field: message}`` in the reader's
language, every bad field named, and nothing written. A key of ``values`` given sets the
field (``None`` or an empty text clears it); a key left out keeps what is stored. Every
change is recorded in the app's history (the append-only ``AppEvent`` trail of the
registry, :func:`appgov_plugin.lifecycle.registry.record`) with the old and new value of
each field, who and where it came from; a save that changes nothing records nothing.
Nothing here commits: the caller does.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from .. import clock
from ..apps.models import App
from ..db import write_lock
from ..i18n import _, _l, current_locale, format_number
from ..state import get_state
from .kpi import MAX_POPULATION
from .models import FIGURE_SOURCES, FIRST_YEAR, LAST_YEAR, MAX_COUNT, AppFigure, AppTarget

#: The figures of a month, in the order the forms, files and exports show them.
COUNT_FIELDS = (
    "downloads_ios",
    "downloads_android",
    "uninstalls",
    "ratings_ios",
    "ratings_android",
)
RATING_FIELDS = ("rating_ios", "rating_android")
FIGURE_FIELDS = (
    "downloads_ios",
    "downloads_android",
    "uninstalls",
    "rating_ios",
    "ratings_ios",
    "rating_android",
    "ratings_android",
)
#: A store's rating count goes with its rating (KH-KPI-2).
RATING_OF = {"ratings_ios": "rating_ios", "ratings_android": "rating_android"}
#: A year's targets: KH-KPI-1 (population and basis), TN-PERF-1 (the agency's own).
KAOHSIUNG_TARGETS = ("target_population", "population_basis")
TAINAN_TARGETS = ("installs_target", "uninstalls_limit", "rating_target", "handled_target_percent")
TARGET_FIELDS = KAOHSIUNG_TARGETS + TAINAN_TARGETS
#: The targets each evaluation (``kpi.EVALUATIONS``) needs.
TARGETS_OF = {"kaohsiung": KAOHSIUNG_TARGETS, "tainan": TAINAN_TARGETS}
#: A population basis's length (characters; the column's).
BASIS_LIMIT = 200
TWO_PLACES = Decimal("0.01")

LABELS = {
    "year": _l("Year"),
    "month": _l("Month"),
    "source": _l("Figures from"),
    "downloads_ios": _l("Downloads (iOS)"),
    "downloads_android": _l("Downloads (Android)"),
    "uninstalls": _l("Uninstalls"),
    "rating_ios": _l("Rating (iOS)"),
    "ratings_ios": _l("Number of ratings (iOS)"),
    "rating_android": _l("Rating (Android)"),
    "ratings_android": _l("Number of ratings (Android)"),
    "target_population": _l("Target population (KH-KPI-1)"),
    "population_basis": _l("Who the target population is and the figure's source (KH-KPI-1)"),
    "installs_target": _l("Installs target (TN-PERF-1)"),
    "uninstalls_limit": _l("Uninstalls at most (TN-PERF-1)"),
    "rating_target": _l("Store rating target (TN-PERF-1)"),
    "handled_target_percent": _l("Share of reviews handled, target in percent (TN-PERF-1)"),
}


class FiguresError(ValueError):
    """Figures or a target refused; ``problems``: {field: message}, every field named."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def label(name: str) -> str:
    return str(LABELS.get(name, name))


# -- reading one value ---------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    """A typed number as plain ASCII: full-width digits folded, thousands separators gone."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text.replace(",", "").replace("，", "").replace(" ", "")


def parse_count(value: Any, name: str, maximum: int = MAX_COUNT) -> int | None:
    """A whole number from 0 to ``maximum`` (``None`` when blank); ``ValueError`` naming
    the field otherwise. ``1,200``, ``１２００`` and a spreadsheet's ``1200.0`` read as 1200."""
    if _blank(value):
        return None
    number = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, Decimal | float):
        exact = Decimal(repr(value)) if isinstance(value, float) else value
        if exact.is_finite() and exact == exact.to_integral_value():
            number = int(exact)
    else:
        text = _text(value)
        if text.isascii() and text.isdigit():
            number = int(text)
        elif text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
            number = -int(text[1:])
    if number is None or not 0 <= number <= maximum:
        raise ValueError(
            _(
                "%(field)s: a whole number from 0 to %(maximum)s; “%(value)s” is not.",
                field=label(name),
                maximum=format_number(maximum),
                value=value,
            )
        )
    return number


def parse_decimal(value: Any, name: str, maximum: Decimal) -> Decimal | None:
    """A number from 0 to ``maximum`` with at most two decimals, read exactly (``Decimal``,
    never a float: a spreadsheet's float by its shortest decimal form); ``None`` when blank."""
    if _blank(value):
        return None
    number = None
    if not isinstance(value, bool):
        if isinstance(value, float):
            value = repr(value)
        try:
            number = value if isinstance(value, Decimal) else Decimal(_text(value))
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite() or not Decimal(0) <= number <= maximum:
        raise ValueError(
            _(
                "%(field)s: a number from 0 to %(maximum)s, e.g. 4.25; “%(value)s” is not.",
                field=label(name),
                maximum=format_number(maximum),
                value=value,
            )
        )
    if number != number.quantize(TWO_PLACES):
        raise ValueError(
            _(
                "%(field)s: at most two decimals (%(value)s has more).",
                field=label(name),
                value=format(number, "f"),
            )
        )
    return number.quantize(TWO_PLACES)


def parse_year(value: Any, *, latest: int | None = None) -> int:
    """A year from FIRST_YEAR to LAST_YEAR and not after ``latest`` (default this year)."""
    latest = clock.today().year if latest is None else latest
    year = None
    try:
        year = parse_count(value, "year", LAST_YEAR)
    except ValueError:
        year = None
    if year is None or year < FIRST_YEAR:
        raise ValueError(
            _(
                "Year: a year from %(first)s to %(last)s, e.g. %(example)s.",
                first=FIRST_YEAR,
                last=LAST_YEAR,
                example=clock.today().year - 1,
            )
        )
    if year > latest:
        raise ValueError(_("Year: %(year)s is in the future.", year=year))
    return year


def parse_month(value: Any, year: int | None = None) -> int:
    """A month from 1 to 12, not one of this year that has not begun."""
    month = None
    try:
        month = parse_count(value, "month", 12)
    except ValueError:
        month = None
    if month is None or month < 1:
        raise ValueError(_("Month: a month from 1 to 12; “%(value)s” is not.", value=value))
    now = clock.today()
    if year == now.year and month > now.month:
        raise ValueError(_("Month: %(year)s/%(month)s has not begun.", year=year, month=month))
    return month


# -- checking a month's figures and a year's targets ----------------------------------------


def _app_id(app: Any) -> int:
    """The id of ``app`` (an :class:`App` or an id of one); an unknown id is refused."""
    if isinstance(app, App):
        return app.id
    app_id = app if isinstance(app, int) and not isinstance(app, bool) else None
    if app_id is None or not 0 < app_id < 2**31 or get_state().session.get(App, app_id) is None:
        raise FiguresError({"app": _("App: no such app.")})
    return app_id


def check_figures(values: dict[str, Any], problems: dict[str, str]) -> dict[str, Any]:
    """The figures of ``values`` read (only the keys given); each bad one in ``problems``."""
    clean: dict[str, Any] = {}
    for name, value in values.items():
        try:
            if name in COUNT_FIELDS:
                clean[name] = parse_count(value, name)
            elif name in RATING_FIELDS:
                clean[name] = parse_decimal(value, name, Decimal(5))
            else:
                problems[name] = _("%(field)s: not a figure of a month.", field=name)
        except ValueError as error:
            problems[name] = str(error)
    return clean


def _rating_counts(merged: dict[str, Any], problems: dict[str, str]) -> None:
    """A store's number of ratings without its rating is refused (KH-KPI-2)."""
    for count, rating in RATING_OF.items():
        if count in problems or rating in problems:
            continue
        if merged.get(count) is not None and merged.get(rating) is None:
            problems[count] = _(
                "%(field)s: give the store's rating with its number of ratings (KH-KPI-2).",
                field=label(count),
            )


def check_target(values: dict[str, Any], problems: dict[str, str]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in values.items():
        try:
            if name == "target_population":
                clean[name] = parse_count(value, name, MAX_POPULATION)
            elif name in ("installs_target", "uninstalls_limit"):
                clean[name] = parse_count(value, name)
            elif name == "rating_target":
                clean[name] = parse_decimal(value, name, Decimal(5))
            elif name == "handled_target_percent":
                clean[name] = parse_decimal(value, name, Decimal(100))
            elif name == "population_basis":
                text = " ".join(str(value or "").split())
                if len(text) > BASIS_LIMIT:
                    raise ValueError(
                        _(
                            "%(field)s: at most %(limit)s characters; this one has %(have)s.",
                            field=label(name),
                            limit=BASIS_LIMIT,
                            have=len(text),
                        )
                    )
                clean[name] = text or None
            else:
                problems[name] = _("%(field)s: not a target of a year.", field=name)
        except ValueError as error:
            problems[name] = str(error)
    return clean


@dataclass
class Saved:
    """What a save did: the row (``None`` when a month was cleared or never had figures),
    whether it was created, and the changes ``{field: (old, new)}`` (empty: unchanged)."""

    row: Any
    created: bool = False
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _locked(model, app_id: int, key: str, where):
    """The stored row of ``where`` read under the write lock of (app, period)."""
    session = get_state().session
    write_lock(session.connection(), model.__tablename__, f"{app_id}:{key}")
    query = sa.select(model).where(*where).execution_options(populate_existing=True)
    if session.connection().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def _record(app_id: int, actor: str, what: str, details: dict, changes: dict) -> None:
    """The change in the app's history (the registry's append-only trail)."""
    from ..lifecycle import registry

    app = get_state().session.get(App, app_id)
    registry.record(
        app,
        "kpi_result",
        actor,
        reason=what,
        details={
            **details,
            "changes": {name: [_plain(old), _plain(new)] for name, (old, new) in changes.items()},
        },
    )


def _fields(changes: dict) -> str:
    """The changed fields by their labels (the history's reason, in the writer's language)."""
    separator = "、" if current_locale() == "zh_Hant_TW" else ", "
    return separator.join(label(name) for name in changes)


def _plain(value: Any) -> Any:
    return format(value, "f") if isinstance(value, Decimal) else value


def _period_problems(year: Any, month: Any, problems: dict[str, str], *, latest=None):
    try:
        year = parse_year(year, latest=latest)
    except ValueError as error:
        problems["year"], year = str(error), None
    if month is None:
        return year, None
    try:
        month = parse_month(month, year)
    except ValueError as error:
        problems["month"], month = str(error), None
    return year, month


def check_month(year: Any, month: Any, values: dict[str, Any], stored=None, *, pairs=True):
    """``(year, month, clean values)`` or :class:`FiguresError`; ``stored``: the month's
    row (its values complete the rating-count check); ``pairs=False``: each value alone."""
    problems: dict[str, str] = {}
    year, month = _period_problems(year, month, problems)
    clean = check_figures(values, problems)
    if pairs:
        merged = {name: getattr(stored, name, None) for name in FIGURE_FIELDS} | clean
        _rating_counts(merged, problems)
    if problems:
        raise FiguresError(problems)
    return year, month, clean


def save_figures(
    app: Any, year: Any, month: Any, values: dict[str, Any], source: str, actor: str
) -> Saved:
    """Check and upsert one app's figures of one month (no commit); :class:`FiguresError`
    naming every bad field, nothing written. ``app``: an :class:`App` or its id; ``source``:
    ``form``, ``import`` or ``hook``. A month whose figures are all cleared is removed."""
    if source not in FIGURE_SOURCES:
        raise FiguresError(
            {"source": _("Source: form, import or hook, not %(source)s.", source=source)}
        )
    app_id = _app_id(app)
    # each value before any lock (nothing written), then with the stored month
    year, month, clean = check_month(year, month, values, pairs=False)
    session = get_state().session
    f = AppFigure
    row = _locked(
        f, app_id, f"{year}:{month}", (f.app_id == app_id, f.year == year, f.month == month)
    )
    year, month, clean = check_month(year, month, values, stored=row)
    old = {name: getattr(row, name, None) for name in FIGURE_FIELDS}
    new = old | clean
    changes = {n: (old[n], new[n]) for n in FIGURE_FIELDS if old[n] != new[n]}
    if row is None and all(v is None for v in new.values()):
        return Saved(None)
    if not changes:
        return Saved(row)
    created = row is None
    if all(v is None for v in new.values()):
        session.delete(row)
        session.flush()
        row = None
    else:
        if created:
            row = AppFigure(app_id=app_id, year=year, month=month)
            session.add(row)
        for name in FIGURE_FIELDS:
            setattr(row, name, new[name])
        row.source, row.recorded_by = source, actor
        session.flush()
    _record(
        app_id,
        actor,
        _(
            "Figures of %(year)s/%(month)s changed (%(source)s): %(fields)s.",
            year=year,
            month=month,
            source=FIGURE_SOURCES[source],
            fields=_fields(changes),
        ),
        {"record": "figures", "year": year, "month": month, "source": source},
        changes,
    )
    return Saved(row, created, changes)


def target_latest_year() -> int:
    """Targets are set up to next year (an agency sets them before the year begins)."""
    return clock.today().year + 1


def check_year_target(year: Any, values: dict[str, Any], stored=None, *, pairs=True):
    """``(year, clean values)`` or :class:`FiguresError`; ``stored``: the year's row (its
    basis completes the population's, rule KH-KPI-1); ``pairs=False``: each value alone."""
    problems: dict[str, str] = {}
    year, _month = _period_problems(year, None, problems, latest=target_latest_year())
    clean = check_target(values, problems)
    merged = {name: getattr(stored, name, None) for name in TARGET_FIELDS} | clean
    if (
        pairs
        and "target_population" not in problems
        and "population_basis" not in problems
        and merged.get("target_population") is not None
        and not merged.get("population_basis")
    ):
        problems["population_basis"] = _(
            "%(field)s: say who the target population is and where the figure comes from "
            "(KH-KPI-1).",
            field=label("population_basis"),
        )
    if problems:
        raise FiguresError(problems)
    return year, clean


def save_target(app: Any, year: Any, values: dict[str, Any], actor: str) -> Saved:
    """Check and upsert one app's targets of one year (no commit); :class:`FiguresError`
    naming every bad field, nothing written. Rules KH-KPI-1 (the target population and its
    basis: a population needs its basis) and TN-PERF-1 (the agency's own targets). A year
    whose targets are all cleared is removed."""
    app_id = _app_id(app)
    year, clean = check_year_target(year, values, pairs=False)
    session = get_state().session
    t = AppTarget
    row = _locked(t, app_id, str(year), (t.app_id == app_id, t.year == year))
    year, clean = check_year_target(year, values, stored=row)
    old = {name: getattr(row, name, None) for name in TARGET_FIELDS}
    new = old | clean
    changes = {n: (old[n], new[n]) for n in TARGET_FIELDS if old[n] != new[n]}
    if not changes or (row is None and all(v is None for v in new.values())):
        return Saved(row)
    created = row is None
    if all(v is None for v in new.values()):  # every target cleared: the year has none
        session.delete(row)
        session.flush()
        row = None
    else:
        if created:
            row = AppTarget(app_id=app_id, year=year)
            session.add(row)
        for name in TARGET_FIELDS:
            setattr(row, name, new[name])
        row.set_by = actor
        session.flush()
    _record(
        app_id,
        actor,
        _("Targets of %(year)s changed: %(fields)s.", year=year, fields=_fields(changes)),
        {"record": "target", "year": year},
        changes,
    )
    return Saved(row, created, changes)


# -- reading ---------------------------------------------------------------------------------


def months_of(app_id: int, year: int) -> dict[int, AppFigure]:
    """The app's figures of ``year`` by month (one query)."""
    rows = get_state().session.scalars(
        sa.select(AppFigure).where(AppFigure.app_id == app_id, AppFigure.year == year)
    )
    return {row.month: row for row in rows}


def target_of(app_id: int, year: int) -> AppTarget | None:
    return get_state().session.scalar(
        sa.select(AppTarget).where(AppTarget.app_id == app_id, AppTarget.year == year)
    )


# -- the city's statistics source (hook ``appgov_collect_app_figures``) ----------------------

#: ``recorded_by`` of what ``flask appgov evaluation collect`` saves by default.
COLLECT_ACTOR = "appgov-collect"


@dataclass
class Collected:
    """What a collection did: apps asked, months saved (new or changed), months unchanged,
    and the apps refused ``{app code or id: {month: {field: message}}}`` (nothing of them
    stored)."""

    apps: int = 0
    saved: int = 0
    unchanged: int = 0
    refused: dict[str, dict[Any, dict[str, str]]] = field(default_factory=dict)


def _registrar(months: dict[Any, dict[str, Any]]):
    """The ``register(month, **values)`` a hook calls: a later call overrides or adds."""

    def register(month, **values):
        months.setdefault(month, {}).update(values)

    return register


def collect(year: int, *, actor: str = COLLECT_ACTOR, policy=None) -> Collected:
    """Ask the hook ``appgov_collect_app_figures`` for every app in the stores during
    ``year`` (:func:`.run.apps_in_stores`) and save what it registers (source ``hook``)
    through :func:`save_figures`; an app whose months are refused keeps what it had (a
    savepoint per app), the others go on. No commit."""
    from .run import apps_in_stores

    problems: dict[str, str] = {}
    try:
        year = parse_year(year)
    except ValueError as error:
        problems["year"] = str(error)
    if problems:
        raise FiguresError(problems)
    policy = policy or get_state().policy()
    hook = policy.plugin_manager.hook.appgov_collect_app_figures
    session = get_state().session
    ids = [app_id for app_id, _status in apps_in_stores(year)]
    apps = (
        session.scalars(sa.select(App).where(App.id.in_(ids)).order_by(App.id)).all() if ids else []
    )
    done = Collected(apps=len(apps))
    for app in apps:
        months: dict[Any, dict[str, Any]] = {}
        register = _registrar(months)
        # every module in registration order, so that the one registered last (asked
        # first by pluggy, the highest priority) overrides the figures an earlier one gave
        arguments = {"app": app, "year": year, "register": register}
        for impl in hook.get_hookimpls():
            if getattr(impl, "hookwrapper", False) or getattr(impl, "wrapper", False):
                continue
            impl.function(*(arguments[name] for name in impl.argnames))
        if not months:
            continue
        refused: dict[Any, dict[str, str]] = {}
        saved = unchanged = 0
        savepoint = session.begin_nested()
        for month, values in sorted(months.items(), key=lambda item: str(item[0])):
            try:
                result = save_figures(app, year, month, values, "hook", actor)
            except FiguresError as error:
                refused[month] = error.problems
                continue
            if result.changed:
                saved += 1
            else:
                unchanged += 1
        if refused:
            savepoint.rollback()
            done.refused[app.code or str(app.id)] = refused
        else:
            savepoint.commit()
            done.saved += saved
            done.unchanged += unchanged
    return done
