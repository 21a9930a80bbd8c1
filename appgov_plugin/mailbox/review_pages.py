"""An app's store reviews and ratings: the page (``/appgov/apps/<id>/reviews``), its
exports and the agency's import page (TN-PERF-1: the agency handles its own app's reviews).

Who sees what (server-side, on every route):

* the page and its exports: whoever may see the app (:func:`~..apps.views.visible_app`:
  404 otherwise, alike for a missing app);
* the import (``/appgov/apps/<id>/reviews/import``): the administrator for any app, the
  agency's staff and head (``AGENCY_ROLES``) for their own agency's apps; another user who
  may see the app gets 403, an app of another agency 404 (its id guessed or not).

The page reads the app, one page of reviews with their total and the rating trend: three
queries whatever the number of reviews. Reviewers' store nicknames are kept, never shown:
handling a review needs its text, not who wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import abort, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField, SelectField, SubmitField
from wtforms.validators import InputRequired

from ..access import AGENCY_ROLES, is_admin
from ..apps.models import App
from ..apps.views import ListPage, visible_app
from ..exports import Table, export_response
from ..forms.builder import AppGovForm
from ..i18n import _, _l, current_locale, format_datetime
from ..imports import ImportRefused, read_bytes
from ..imports import limits as import_limits
from ..state import get_state
from ..web import blueprint
from .models import STORES, StoreRating, StoreReview
from .reviews import FORMATS, KINDS, Report, import_file

blueprint.add_templates(__file__)

#: Reviews per page.
PER_PAGE = 50
#: Days of ratings the page's trend shows (newest first); the export has them all.
TREND_ROWS = 60
#: The star ratings a filter may ask for.
STARS = (5, 4, 3, 2, 1)


def may_import(app: App) -> bool:
    """The administrator, or the app's agency's staff and head (TN-PERF-1)."""
    if is_admin():
        return True
    return (
        getattr(current_user, "role", None) in AGENCY_ROLES
        and getattr(current_user, "agency_code", None) == app.agency_code
    )


# -- the import form (also the administrator's page, admin_reviews.py) ----------------------


class ReviewImportForm(AppGovForm):
    """One file of one store's reviews or ratings for one app."""

    store = RadioField(_l("Store"), choices=list(STORES.items()), validators=[InputRequired()])
    kind = RadioField(
        _l("The file holds"), choices=list(KINDS.items()), validators=[InputRequired()]
    )
    file = FileField(_l("File (.csv, .xlsx or .ods)"), validators=[FileRequired()])
    check = SubmitField(_l("Check the file only (nothing is stored)"))
    run = SubmitField(_l("Import"))


class AdminReviewImportForm(ReviewImportForm):
    """The administrator's form: any app."""

    app = SelectField(_l("App"), coerce=str, validators=[InputRequired()])


def run_import(form: ReviewImportForm, app: App) -> Report | None:
    """The import (or the dry run) the valid ``form`` asks for ``app``; ``None`` with the
    form's file field showing the problem when the file cannot be read at all."""
    upload = form.file.data
    max_bytes, _rows = import_limits()
    try:
        data = read_bytes(upload.stream, max_bytes)
    except ImportRefused as refused:
        form.file.errors = [str(refused)]
        return None
    return import_file(
        app,
        form.store.data,
        form.kind.data,
        data,
        upload.filename or "",
        actor=current_user.username,
        dry_run=not form.run.data,
    )


def report_context(report: Report | None) -> dict[str, Any]:
    """What the form and report partials need besides the form."""
    max_bytes, max_rows = import_limits()
    limits = (f"{max_bytes / 2**20:g}", f"{max_rows:,}")
    return {
        "report": report,
        "stores": STORES,
        "kinds": KINDS,
        "limits": limits,
        "accepted": accepted_columns(),
    }


def accepted_columns() -> list[tuple[Any, Any, list[tuple[str, bool, bool]]]]:
    """(store, kind, [(header names, required, kept)]) of every format, for the import
    page: the stores' own (English) names, and in Chinese the Chinese ones too."""
    chinese = current_locale() == "zh_Hant_TW"
    out = []
    for (store, kind), columns in FORMATS.items():
        rows = []
        for column in columns:
            names = [n for n in column.names if chinese or n.isascii()]
            rows.append((" / ".join(names), column.required, column.kept))
        out.append((STORES[store], KINDS[kind], rows))
    return out


@blueprint.route("/apps/<int:app_id>/reviews/import", methods=["GET", "POST"])
@login_required
def app_reviews_import(app_id):
    """The agency imports its own app's store reviews or ratings (TN-PERF-1)."""
    app = visible_app(app_id)
    if not may_import(app):
        abort(403)
    form = ReviewImportForm()
    report, status = None, 200
    if request.method == "POST":
        if form.validate():
            report = run_import(form, app)
        if report is None or not report.ok:
            status = 400
    return (
        render_template(
            "appgov/reviews/import.html",
            app=app,
            form=form,
            action=url_for("appgov.app_reviews_import", app_id=app.id),
            **report_context(report),
        ),
        status,
    )


# -- the page -------------------------------------------------------------------------------


def review_filters(args) -> tuple[dict, list[str]]:
    """``store``, ``rating`` and ``page`` from the query string, and the messages about bad
    ones (each naming its filter)."""
    chosen: dict[str, Any] = {"store": "", "rating": None, "page": 1}
    errors = []
    store = (args.get("store") or "").strip()
    if store:
        if store in STORES:
            chosen["store"] = store
        else:
            errors.append(_("Store: “%(value)s” is not a store.", value=store))
    rating = (args.get("rating") or "").strip()
    if rating:
        if rating in {str(stars) for stars in STARS}:
            chosen["rating"] = int(rating)
        else:
            errors.append(_("Stars: “%(value)s” is not a star rating from 1 to 5.", value=rating))
    page = (args.get("page") or "").strip()
    if page:
        if page.isascii() and page.isdigit() and 0 < len(page) < 7 and int(page) > 0:
            chosen["page"] = int(page)
        else:
            errors.append(_("Page: “%(value)s” is not a page number.", value=page))
    return chosen, errors


def _conditions(app: App, chosen: dict) -> list:
    conditions = [StoreReview.app_id == app.id]
    if chosen["store"]:
        conditions.append(StoreReview.store == chosen["store"])
    if chosen["rating"]:
        conditions.append(StoreReview.rating == chosen["rating"])
    return conditions


def review_page(app: App, chosen: dict, per_page: int = PER_PAGE) -> ListPage:
    """One page of the app's reviews matching ``chosen``, newest first, with their total
    (one statement: a window count)."""
    rows = (
        get_state()
        .session.execute(
            sa.select(StoreReview, sa.func.count().over())
            .where(*_conditions(app, chosen))
            .order_by(StoreReview.reviewed_at.desc(), StoreReview.id.desc())
            .limit(per_page)
            .offset((chosen["page"] - 1) * per_page)
        )
        .all()
    )
    return ListPage([row[0] for row in rows], rows[0][1] if rows else 0, chosen["page"], per_page)


def rating_trend(app: App, limit: int | None = TREND_ROWS) -> list[StoreRating]:
    """The app's ratings, newest day first (both stores; ``limit`` rows, None: all)."""
    query = (
        sa.select(StoreRating)
        .where(StoreRating.app_id == app.id)
        .order_by(StoreRating.on_date.desc(), StoreRating.store)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(get_state().session.scalars(query))


def latest_ratings(trend: list[StoreRating]) -> dict[str, StoreRating]:
    """The newest rating of each store in ``trend``."""
    latest: dict[str, StoreRating] = {}
    for rating in trend:
        latest.setdefault(rating.store, rating)
    return latest


@dataclass
class ReviewRow:
    review: StoreReview
    store: str
    reviewed: str
    replied: str


@blueprint.get("/apps/<int:app_id>/reviews")
@login_required
def app_reviews(app_id):
    """The app's store reviews (paged, filtered by store and stars) and its rating trend."""
    app = visible_app(app_id)
    chosen, errors = review_filters(request.args)
    listing = ListPage([], 0, 1, PER_PAGE) if errors else review_page(app, chosen)
    trend = rating_trend(app)
    locale = current_locale()
    store_labels = {key: str(label) for key, label in STORES.items()}
    rows = [
        ReviewRow(
            review,
            store_labels.get(review.store, review.store),
            format_datetime(review.reviewed_at, locale, style="short"),
            format_datetime(review.replied_at, locale, style="short"),
        )
        for review in listing.apps
    ]
    kept = {k: v for k, v in chosen.items() if v and k != "page"}
    body = render_template(
        "appgov/reviews/reviews.html",
        app=app,
        name=app.display_name(locale),
        listing=listing,
        rows=rows,
        trend=trend,
        latest=latest_ratings(trend),
        chosen=chosen,
        errors=errors,
        stores=STORES,
        store_labels=store_labels,
        stars=STARS,
        filtered=bool(kept),
        page_url=lambda number: url_for("appgov.app_reviews", app_id=app.id, **kept, page=number),
        export_args={"app_id": app.id, **kept},
        may_import=may_import(app),
    )
    return body, 400 if errors else 200


# -- exports --------------------------------------------------------------------------------


def reviews_table(app: App, chosen: dict) -> Table:
    """The app's reviews matching ``chosen`` (all pages), newest first."""
    reviews = get_state().session.scalars(
        sa.select(StoreReview)
        .where(*_conditions(app, chosen))
        .order_by(StoreReview.reviewed_at.desc(), StoreReview.id.desc())
    )
    labels = {key: str(label) for key, label in STORES.items()}
    rows = [
        [
            review.reviewed_at,
            labels.get(review.store, review.store),
            review.rating,
            review.title or "",
            review.text or "",
            review.app_version or "",
            review.language or "",
            review.reply_text or "",
            review.replied_at,
            review.review_id,
        ]
        for review in reviews
    ]
    headers = [
        _("Time (Taipei)"),
        _("Store"),
        _("Stars"),
        _("Title"),
        _("Review"),
        _("Version"),
        _("Language"),
        _("Reply"),
        _("Replied (Taipei)"),
        _("Review ID"),
    ]
    return Table(headers, rows, title=_("Reviews of %(name)s", name=app.name))


def ratings_table(app: App) -> Table:
    labels = {key: str(label) for key, label in STORES.items()}
    rows = [
        [rating.on_date, labels.get(rating.store, rating.store), rating.average, rating.ratings]
        for rating in rating_trend(app, limit=None)
    ]
    headers = [_("Date"), _("Store"), _("Average rating"), _("Number of ratings")]
    return Table(headers, rows, title=_("Ratings of %(name)s", name=app.name))


@blueprint.get("/apps/<int:app_id>/reviews.<any(csv, xlsx, ods):fmt>")
@login_required
def app_reviews_export(app_id: int, fmt: str):
    """The app's reviews (the page's filters) as CSV, XLSX or ODS."""
    app = visible_app(app_id)
    chosen, errors = review_filters(request.args)
    if errors:
        abort(400, description=" ".join(errors))
    return export_response(reviews_table(app, chosen), fmt, f"app-{app.id}-reviews")


@blueprint.get("/apps/<int:app_id>/ratings.<any(csv, xlsx, ods):fmt>")
@login_required
def app_ratings_export(app_id: int, fmt: str):
    """The app's daily ratings as CSV, XLSX or ODS."""
    app = visible_app(app_id)
    return export_response(ratings_table(app), fmt, f"app-{app.id}-ratings")
