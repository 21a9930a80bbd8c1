"""Hand-written WTForms classes for every city form: the baseline of ``benchmarks/forms.py``.

Each class declares the same fields as its definition in ``forms/*.toml`` with the same field
classes (:mod:`appgov_plugin.forms.fields`, :mod:`appgov_plugin.forms.files`) and the same
rules written out by hand: conditions as ``if`` statements in :meth:`validate`, the policy
called directly. What the engine adds on top -- reading conditions from a definition,
resolving bilingual texts, the generic hidden-field loop -- is what the benchmark measures.
Labels are lazy gettext strings, as a hand-written bilingual appgov form would have them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import wtforms
from flask_wtf import FlaskForm
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from appgov_plugin.forms.fields import (
    Bounds,
    CharacterLength,
    ChoiceField,
    ComputedField,
    DecimalNumberField,
    EmailAddress,
    EmailField,
    HeadingField,
    MoneyField,
    MultiChoiceField,
    MustBe,
    NoticeField,
    RowForm,
    RowsField,
    SelectChoiceField,
    TaiwanDateField,
    UrlField,
    WebAddress,
    WholeNumberField,
    tidy_text,
)
from appgov_plugin.forms.files import UploadField
from appgov_plugin.i18n import _, format_number, wtforms_translations
from appgov_plugin.i18n import lazy_gettext as _l
from appgov_plugin.safe_input import FiniteNumbersMeta

MB = 1024 * 1024

# -- small hand-written helpers -------------------------------------------------------------


def _empty(field) -> bool:
    data = field.data
    return data is None or data == [] or (isinstance(data, str) and not data.strip())


class RequiredIf:
    """Required when ``test(form)``; otherwise an empty answer is fine."""

    def __init__(self, test=lambda form: True):
        self.test = test

    def __call__(self, form, field):
        if self.test(form):
            if _empty(field):
                raise validators.StopValidation(_("This field is required."))
        elif _empty(field):
            field.errors[:] = []
            raise validators.StopValidation()


def required():
    return RequiredIf()


def optional():
    return validators.Optional()


def yes_no(*extra):
    return [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No")), *extra]


def choices(*pairs):
    return [SelectChoice(value, _l(label)) for value, label in pairs]


def string(label, max_length, *checks, min_length=None):
    return wtforms.StringField(
        _l(label), [*checks, CharacterLength(min_length, max_length)], filters=[tidy_text]
    )


class LengthHint:
    """The help of a text area: its length limits, in the request's language."""

    def __init__(self, minimum, maximum):
        self.minimum, self.maximum = minimum, maximum

    def __str__(self) -> str:
        if self.minimum:
            return _(
                "%(minimum)s to %(maximum)s characters.",
                minimum=format_number(self.minimum),
                maximum=format_number(self.maximum),
            )
        return _("At most %(maximum)s characters.", maximum=format_number(self.maximum))

    def __bool__(self) -> bool:
        return True


def text(label, max_length, *checks, min_length=None):
    return wtforms.TextAreaField(
        _l(label),
        [*checks, CharacterLength(min_length, max_length)],
        filters=[tidy_text],
        description=LengthHint(min_length, max_length),
    )


def whole(label, maximum, *checks, minimum=0, money=False):
    kind = MoneyField if money else WholeNumberField
    return kind(_l(label), [*checks, Bounds(minimum, maximum)])


def decimal(label, maximum, *checks, minimum=0):
    return DecimalNumberField(_l(label), [*checks, Bounds(Decimal(minimum), Decimal(maximum))])


def date(label, *checks):
    return TaiwanDateField(_l(label), list(checks))


def email(label, *checks):
    return EmailField(
        _l(label), [*checks, CharacterLength(None, 254), EmailAddress()], filters=[tidy_text]
    )


def url(label, *checks):
    return UrlField(
        _l(label), [*checks, CharacterLength(None, 2000), WebAddress()], filters=[tidy_text]
    )


def tick(label, must_be_message=None):
    checks = [MustBe(True, _l(must_be_message))] if must_be_message else []
    return wtforms.BooleanField(_l(label), checks)


def upload(label, accept, max_mb, *checks):
    return UploadField(_l(label), list(checks), accept=accept, max_bytes=max_mb * MB)


def heading(title, help_text=None):
    return HeadingField(text=_l(title), help=_l(help_text) if help_text else None)


def notice(paragraph):
    return NoticeField(text=_l(paragraph))


def rows(label, row_form, columns, max_rows, min_rows=0, totals=()):
    return RowsField(
        _l(label),
        row_form=row_form,
        columns=[(name, _l(text_), kind) for name, text_, kind in columns],
        min_rows=min_rows,
        max_rows=max_rows,
        totals=totals,
    )


def after(other: str, days: int = 0, unless=None):
    def check(form, field):
        start = form[other].data
        if field.data is None or not isinstance(start, dt.date) or (unless and unless(form)):
            return
        if field.data < start + dt.timedelta(days=days):
            raise validators.ValidationError(_("Choose a later date."))

    return check


PLATFORMS = choices(("ios", "iOS"), ("android", "Android"))


class HandForm(FlaskForm):
    """Base: WTForms' messages translated; NaN refused; hidden fields skipped and dropped;
    the policy passed in (``policy=``)."""

    class Meta(FiniteNumbersMeta, FlaskForm.Meta):
        def get_translations(self, form):
            return wtforms_translations()

    def __init__(self, *args, policy=None, **kwargs):
        self.policy = policy
        super().__init__(*args, **kwargs)
        self.compute()

    def compute(self):
        pass

    def hidden(self) -> set[str]:
        return set()

    def rows_minimum(self) -> dict[str, int]:
        return {}

    def checks(self) -> list[tuple[str, str]]:
        return []

    def validate(self, extra_validators=None):
        self.compute()
        hidden = self.hidden()
        minimum = self.rows_minimum()
        ok = True
        for name, field in self._fields.items():
            if name in hidden:
                continue
            inline = getattr(self.__class__, f"validate_{name}", None)
            extra = [inline] if inline else []
            if isinstance(field, RowsField):
                valid = field.validate(self, extra, minimum=minimum.get(name))
            else:
                valid = field.validate(self, extra)
            ok = ok and valid
        for name, message in self.checks():
            self[name].errors = [*self[name].errors, message]
            ok = False
        if ok:
            for name in hidden:
                field = self[name]
                if isinstance(field, RowsField):
                    field.drop()
                else:
                    field.data = [] if isinstance(field, MultiChoiceField) else None
        return ok


def _is(form, name, *values) -> bool:
    value = form[name].data
    if isinstance(value, list):
        return any(v in values for v in value)
    return value in values


# -- Tainan self-assessment (TN-EVAL-1..5) --------------------------------------------------


class TnSelfAssessment(HandForm):
    basic_heading = heading("1. The app")
    app_name = string("App name", 100, required())
    purpose = text("Purpose and services offered", 3000, required(), min_length=20)
    platforms = MultiChoiceField(_l("Platforms"), [required()], choices=PLATFORMS, required=True)
    budget = whole("Budget (NT$)", 10_000_000_000, required(), money=True)
    requirements_heading = heading("2. Requirements specification")
    requirements_spec = upload("Requirements specification", ("pdf", "odt", "docx"), 20, required())
    requirements_summary = text("Summary", 2000, required(), min_length=20)
    open_data_heading = heading("3. Open data", "Open the data first, or say why.")
    open_data_first = ChoiceField(_l("Opened first?"), [required()], choices=yes_no())
    open_data_url = url("Data set", RequiredIf(lambda f: _is(f, "open_data_first", "yes")))
    open_data_reason = text("Reason", 2000, RequiredIf(lambda f: _is(f, "open_data_first", "no")))
    budget_grounds_heading = heading("4. Grounds", "At least one.")
    eligibility_grounds = MultiChoiceField(
        _l("Grounds"),
        [required()],
        choices=choices(
            ("no_private_app", "(1)"),
            ("missing_function", "(2)"),
            ("trust_sensitive", "(3)"),
            ("other_necessity", "(4)"),
        ),
        required=True,
    )
    other_necessity = text(
        "Necessity", 2000, RequiredIf(lambda f: _is(f, "eligibility_grounds", "other_necessity"))
    )
    head_approval_notice = notice("On ground (4) the agency head approves first.")
    feedback_heading = heading("5. Feedback")
    mayor_mailbox_link = tick("Mayor mailbox", "Link the mayor mailbox.")
    source_code_heading = heading("6. Source code")
    source_code_rights = tick("Source code rights", "Obtain the source code.")
    approval_notice = notice("The Smart Development Center countersigns.")

    def hidden(self):
        out = set()
        if not _is(self, "open_data_first", "yes"):
            out.add("open_data_url")
        if not _is(self, "open_data_first", "no"):
            out.add("open_data_reason")
        if not _is(self, "eligibility_grounds", "other_necessity"):
            out |= {"other_necessity", "head_approval_notice"}
        return out


# -- Kaohsiung evaluation plan (KH-EVAL-1) ----------------------------------------------------


class ComparableRow(RowForm):
    name = string("App", 100, required())
    provider = string("Provider", 100, required())
    link = url("Link", optional())
    difference = text("Difference", 500, required())


BANDS = choices(("over_1m", "Band 1"), ("100k_1m", "Band 2"), ("under_100k", "Band 3"))


class KhEvaluationPlan(HandForm):
    basic_heading = heading("The app")
    app_name = string("App name", 100, required())
    purpose = text("Purpose", 3000, required(), min_length=20)
    platforms = MultiChoiceField(_l("Stores"), [required()], choices=PLATFORMS, required=True)
    budget = whole("Budget", 10_000_000_000, required(), money=True)
    comparable_apps_heading = heading("1. Comparable apps")
    comparable_exist = ChoiceField(_l("Similar app?"), [required()], choices=yes_no())
    comparable_list = rows(
        "Apps",
        ComparableRow,
        [
            ("name", "App", "string"),
            ("provider", "Provider", "string"),
            ("link", "Link", "url"),
            ("difference", "Difference", "text"),
        ],
        20,
        min_rows=1,
    )
    comparable_apps = text("Evaluation", 2000, required())
    open_data_heading = heading("2. Open Data", "Unless personal data.")
    open_data_exception = ChoiceField(
        _l("Information"),
        [required()],
        choices=choices(
            ("none", "None"),
            ("personal_data", "Personal"),
            ("privacy", "Privacy"),
            ("closed_by_law", "Closed by law"),
        ),
    )
    open_data_alternative = text(
        "Open data evaluation", 2000, RequiredIf(lambda f: _is(f, "open_data_exception", "none"))
    )
    open_data_exception_note = text(
        "Grounds",
        1000,
        RequiredIf(
            lambda f: _is(f, "open_data_exception", "personal_data", "privacy", "closed_by_law")
        ),
    )
    web_alternative_heading = heading("3. Responsive web")
    web_can_replace = ChoiceField(
        _l("Web instead?"),
        [required()],
        choices=choices(("yes", "Yes"), ("partly", "In part"), ("no", "No")),
    )
    web_alternative = text("Evaluation", 2000, required())
    kpi_heading = heading("4. KPI table", "5 %, 10 %, 25 %.")
    target_population = whole("Target population", 100_000_000, required())
    population_basis = string("Basis", 200, required())
    population_band = ChoiceField(_l("Band"), [required()], choices=BANDS)
    download_target = ComputedField(
        _l("Download target"), check="download_target", args={"population": "target_population"}
    )
    kpi_attainable = ChoiceField(_l("Attainable?"), [required()], choices=yes_no())
    kpi_plan = text("How", 2000, required())
    escalation_notice = notice("Escalation to the mayor.")

    def compute(self):
        population = self.target_population.data
        self.download_target.data = (
            self.policy.download_target(population) if isinstance(population, int) else None
        )

    def hidden(self):
        out = set()
        if not _is(self, "comparable_exist", "yes"):
            out.add("comparable_list")
        if not _is(self, "open_data_exception", "personal_data", "privacy", "closed_by_law"):
            out.add("open_data_exception_note")
        return out


# -- listing checklist (TN-LIST-1/2, KH-LIST-1/2, KH-VER-1, KH-SEC-1), Kaohsiung's questions ----


class ListingChecklist(HandForm):
    application_heading = heading("1. The application")
    kind = ChoiceField(
        _l("Kind"),
        [required()],
        choices=choices(
            ("new_listing", "New"), ("version_change", "Version"), ("relisting", "Relisting")
        ),
    )
    security_takedown = tick("Taken down for a security risk")
    app_name = string("App name", 100, required())
    platforms = MultiChoiceField(_l("Stores"), [required()], choices=PLATFORMS, required=True)
    store_account_heading = heading("2. Store account")
    city_account = tick("City account", "Use the city's account.")
    city_service_provider = tick("City as provider", "Set the city as provider.")
    keywords = string("Keywords", 200, required())
    store_material_heading = heading("3. Store material")
    description = text("Description", 4000, required(), min_length=20)
    download_link_ios = url("App Store", optional())
    download_link_android = url("Google Play", optional())
    icon = upload("Icon", ("png", "jpeg"), 5, required())
    versions_heading = heading("4. Versions", "MAJOR.MINOR.PATCH")
    previous_version = string(
        "Previous", 20, RequiredIf(lambda f: _is(f, "kind", "version_change", "relisting"))
    )
    new_version = string("New", 20, required())
    change_summary = text("Changes", 2000, RequiredIf(lambda f: _is(f, "kind", "version_change")))
    security_heading = heading("5. Security testing")
    security_notice = notice("A report for new apps, major versions, security relistings.")
    security_report = upload(
        "Security test report", ("pdf",), 30, RequiredIf(lambda f: f.needs_report())
    )

    def needs_report(self) -> bool:
        try:
            return self.policy.needs_security_report(
                self.previous_version.data or None,
                self.new_version.data,
                bool(self.security_takedown.data),
            )
        except (ValueError, TypeError):
            return False

    def hidden(self):
        out = set()
        if not _is(self, "kind", "relisting"):
            out.add("security_takedown")
        if not _is(self, "kind", "version_change", "relisting"):
            out |= {"previous_version", "change_summary"}
        return out

    def checks(self):
        if not (self.download_link_ios.data or self.download_link_android.data):
            return [("download_link_ios", _("Give at least one download link."))]
        return []


# -- delisting application (TN-DEL-1..3) ------------------------------------------------------


class DelistingApplication(HandForm):
    app_heading = heading("1. The app")
    app_name = string("App name", 100, required())
    platforms = MultiChoiceField(_l("Stores"), [required()], choices=PLATFORMS, required=True)
    takedown_kind = ChoiceField(
        _l("Kind"),
        [required()],
        choices=choices(("permanent", "Permanent"), ("short_term", "Short term")),
    )
    grounds_heading = heading("2. Grounds")
    grounds = ChoiceField(
        _l("Ground"),
        [required()],
        choices=choices(
            *[
                (v, v)
                for v in (
                    "static_content",
                    "backend_retired",
                    "replaced",
                    "merged",
                    "severe_defect",
                    "below_targets",
                    "event_ended",
                    "other",
                )
            ]
        ),
    )
    grounds_other = text("Other", 2000, RequiredIf(lambda f: _is(f, "grounds", "other")))
    grounds_head_approved = tick("Head approved", "Needs the head's approval.")
    evaluation = text("Evaluation", 3000, required(), min_length=20)
    schedule_heading = heading("3. Notice", "One month.")
    announced_on = date("Announced", RequiredIf(lambda f: _is(f, "takedown_kind", "permanent")))
    delist_on = date("Delisting date", required())
    short_term_until = date("Back on", optional(), after("delist_on", 1))
    source_code_heading = heading("4. Source code")
    open_source = ChoiceField(
        _l("Opened?"), [required()], choices=choices(("open", "Open"), ("not_open", "Not open"))
    )
    open_source_license = string(
        "Licence", 100, RequiredIf(lambda f: _is(f, "open_source", "open"))
    )
    not_open_reason = text("Reason", 2000, RequiredIf(lambda f: _is(f, "open_source", "not_open")))
    not_open_approved = tick("Head approved", "Needs the head's approval.")
    not_open_approved_on = date(
        "Approved on", RequiredIf(lambda f: _is(f, "open_source", "not_open"))
    )
    portal_notice = notice("Announced on the portal.")

    def validate_delist_on(self, field):
        start = self.announced_on.data
        if field.data is None or start is None or "announced_on" in self.hidden():
            return
        if _is(self, "grounds", "severe_defect"):
            return
        earliest = self.policy.deadline("delisting_notice", start)
        if field.data < earliest:
            raise validators.ValidationError(_("Choose a later date."))

    def hidden(self):
        out = set()
        if not _is(self, "grounds", "other"):
            out |= {"grounds_other", "grounds_head_approved"}
        if not _is(self, "takedown_kind", "permanent"):
            out |= {
                "announced_on",
                "source_code_heading",
                "open_source",
                "open_source_license",
                "not_open_reason",
                "not_open_approved",
                "not_open_approved_on",
                "portal_notice",
            }
        if not _is(self, "takedown_kind", "short_term"):
            out.add("short_term_until")
        if not _is(self, "open_source", "open"):
            out.add("open_source_license")
        if not _is(self, "open_source", "not_open"):
            out |= {"not_open_reason", "not_open_approved", "not_open_approved_on"}
        return out


# -- improvement and marketing plan (KH-KPI-1..3) ---------------------------------------------


class CostRow(RowForm):
    item = string("Item", 100, required())
    description = string("Description", 200, optional())
    amount = whole("Amount", 1_000_000_000, required(), money=True)


class ActionRow(RowForm):
    action = text("Action", 500, required())
    staff = string("Staff", 200, required())
    staff_count = whole("People", 10_000, required())
    expected_effect = text("Effect", 500, required())
    expected_downloads = whole("Downloads", 100_000_000, optional())


COST_COLUMNS = [
    ("item", "Item", "string"),
    ("description", "Description", "string"),
    ("amount", "Amount", "money"),
]
PLAN_TEXTS = (
    "ui_ux",
    "functions",
    "feedback",
    "data_update_other",
    "security_measures",
    "funding_source",
    "market_segment",
    "target_group",
    "positioning",
    "marketing_basis",
    "marketing_funding_source",
)
IMPROVEMENT = (
    "ui_ux",
    "functions",
    "feedback",
    "improvement_from",
    "improvement_to",
    "data_update_cycle",
    "security_standards",
    "security_measures",
    "release_planned",
    "funding_source",
    "expected_rating",
)
MARKETING = (
    "market_segment",
    "target_group",
    "target_group_size",
    "positioning",
    "marketing_band",
    "marketing_target",
    "marketing_basis",
    "marketing_funding_source",
)


def _part(part):
    return RequiredIf(lambda f: f.improvement_needed() if part == "i" else f.marketing_needed())


class ImprovementMarketingPlan(HandForm):
    results_heading = heading("KPI results")
    app_name = string("App name", 100, required())
    target_population = whole("Target population", 100_000_000, required())
    download_target = ComputedField(
        _l("Download target"), check="download_target", args={"population": "target_population"}
    )
    downloads = whole("Downloads", 1_000_000_000, required())
    rating_ios = decimal("iOS", 5, optional())
    rating_android = decimal("Android", 5, optional())
    improvement_heading = heading("1. Improvement plan")
    ui_ux = text("UI/UX", 3000, _part("i"))
    functions = text("Functions", 3000, _part("i"))
    feedback = text("Feedback", 3000, _part("i"))
    improvement_from = date("From", _part("i"))
    improvement_to = date("To", _part("i"), after("improvement_from", 1))
    data_update_cycle = ChoiceField(
        _l("Cycle"),
        [_part("i")],
        choices=choices(
            ("yearly", "Y"), ("quarterly", "Q"), ("monthly", "M"), ("daily", "D"), ("other", "O")
        ),
    )
    data_update_other = string(
        "Other", 200, RequiredIf(lambda f: _is(f, "data_update_cycle", "other"))
    )
    security_standards = MultiChoiceField(
        _l("Standards"),
        [_part("i")],
        choices=choices(
            ("basic_spec", "1"),
            ("testing_standard", "2"),
            ("self_testing", "3"),
            ("dev_guide", "4"),
            ("test_report", "5"),
        ),
    )
    security_measures = text("Security", 2000, _part("i"))
    release_planned = date("Release", _part("i"))
    funding_source = string("Funding", 200, _part("i"))
    improvement_costs = rows("Costs", CostRow, COST_COLUMNS, 30, totals=("amount",))
    expected_rating = decimal("Expected rating", 5, _part("i"))
    marketing_heading = heading("2. Marketing plan")
    market_segment = text("Segment", 2000, _part("m"))
    target_group = text("Target group", 2000, _part("m"))
    target_group_size = whole("People", 100_000_000, _part("m"))
    target_group_evidence = upload("Evidence", ("pdf", "ods", "xlsx"), 10, optional())
    positioning = text("Positioning", 2000, _part("m"))
    marketing_band = ChoiceField(_l("Band"), [_part("m")], choices=BANDS)
    marketing_target = whole("Marketing target", 1_000_000_000, _part("m"))
    marketing_basis = text("Basis", 1000, _part("m"))
    marketing_actions = rows(
        "Actions",
        ActionRow,
        [
            ("action", "Action", "text"),
            ("staff", "Staff", "string"),
            ("staff_count", "People", "integer"),
            ("expected_effect", "Effect", "text"),
            ("expected_downloads", "Downloads", "integer"),
        ],
        20,
        totals=("staff_count", "expected_downloads"),
    )
    marketing_funding_source = string("Funding", 200, _part("m"))
    marketing_costs = rows("Costs", CostRow, COST_COLUMNS, 30, totals=("amount",))
    remarks_heading = heading("Note")
    length_notice = notice("1,500 to 3,000 characters.")

    def compute(self):
        population = self.target_population.data
        self.download_target.data = (
            self.policy.download_target(population) if isinstance(population, int) else None
        )

    def improvement_needed(self) -> bool:
        ios, android = self.rating_ios.data, self.rating_android.data
        if ios is None and android is None:
            return False
        return not self.policy.rating_passes(
            ios=None if ios is None else (ios, None),
            android=None if android is None else (android, None),
        )

    def marketing_needed(self) -> bool:
        population, downloads = self.target_population.data, self.downloads.data
        if population is None or downloads is None:
            return False
        return downloads < self.policy.download_target(population)

    def validate_marketing_target(self, field):
        size = self.target_group_size.data
        if (
            field.data is not None
            and isinstance(size, int)
            and field.data < self.policy.download_target(size)
        ):
            raise validators.ValidationError(_("Enter a larger number."))

    def hidden(self):
        return set() if _is(self, "data_update_cycle", "other") else {"data_update_other"}

    def rows_minimum(self):
        i, m = int(self.improvement_needed()), int(self.marketing_needed())
        return {"improvement_costs": i, "marketing_costs": m, "marketing_actions": m}

    def checks(self):
        out = []
        if self.rating_ios.data is None and self.rating_android.data is None:
            out.append(("rating_ios", _("Give a rating.")))
        hidden = self.hidden()
        count = sum(len(self[n].data or "") for n in PLAN_TEXTS if n not in hidden)
        if not 1500 <= count <= 3000:
            out.append(("ui_ux", _("The plan's text must be 1,500 to 3,000 characters.")))
        return out


# -- Tainan self-check (TN-PERF-1/2) ----------------------------------------------------------

YES_NO_NA = yes_no(SelectChoice("na", _l("Not applicable")))
ITEMS = (
    "perf_assessed",
    "content_updated",
    "backend_maintained",
    "defects_fixed",
    "official_account",
    "admin_account",
    "portal_current",
    "store_reviews_collected",
    "feedback_collected",
    "reviews_handled",
)
REVIEWS = (
    "reviews_heading",
    "store_reviews_collected",
    "store_reviews_collected_note",
    "feedback_collected",
    "feedback_collected_note",
    "reviews_handled",
    "reviews_handled_note",
    "reviews_received",
    "reviews_answered",
    "reviews_target_percent",
    "handling",
    "reported_to_head_on",
    "head_instructions",
)


def _item(number):
    return ChoiceField(_l(f"Item {number}"), [required()], choices=YES_NO_NA)


def _note(name, number):
    return string(f"Note {number}", 300, RequiredIf(lambda f: _is(f, name, "no")))


class SelfCheckChecklist(HandForm):
    app_heading = heading("1. The app")
    app_name = string("App name", 100, required())
    period_from = date("From", required())
    period_to = date("To", required(), after("period_from", 1))
    mailbox_linked = ChoiceField(_l("Mailbox?"), [required()], choices=yes_no())
    mailbox_notice = notice("Mailbox apps skip part 4.")
    checklist_heading = heading("2. Checklist")
    perf_assessed, perf_assessed_note = _item(1), _note("perf_assessed", 1)
    content_updated, content_updated_note = _item(2), _note("content_updated", 2)
    backend_maintained, backend_maintained_note = _item(3), _note("backend_maintained", 3)
    defects_fixed, defects_fixed_note = _item(4), _note("defects_fixed", 4)
    official_account, official_account_note = _item(5), _note("official_account", 5)
    admin_account, admin_account_note = _item(6), _note("admin_account", 6)
    portal_current, portal_current_note = _item(7), _note("portal_current", 7)
    performance_heading = heading("3. Performance")
    installs = whole("Installs", 1_000_000_000, required())
    installs_target = whole("Target", 1_000_000_000, required())
    uninstalls = whole("Uninstalls", 1_000_000_000, required())
    uninstalls_limit = whole("Limit", 1_000_000_000, optional())
    store_rating = decimal("Rating", 5, required())
    rating_target = decimal("Target", 5, required())
    targets_met = ChoiceField(_l("Met?"), [required()], choices=yes_no())
    follow_up = ChoiceField(
        _l("Follow-up"),
        [RequiredIf(lambda f: _is(f, "targets_met", "no"))],
        choices=choices(("improve", "Improve"), ("delisting_evaluation", "Delisting")),
    )
    improvement_measures = text("Measures", 3000, RequiredIf(lambda f: _is(f, "targets_met", "no")))
    reviews_heading = heading("4. Reviews")
    store_reviews_collected = _item(8)
    store_reviews_collected_note = _note("store_reviews_collected", 8)
    feedback_collected, feedback_collected_note = _item(9), _note("feedback_collected", 9)
    reviews_handled, reviews_handled_note = _item(10), _note("reviews_handled", 10)
    reviews_received = whole("Received", 1_000_000, required())
    reviews_answered = whole("Answered", 1_000_000, required())
    reviews_target_percent = whole("Target %", 100, required())
    handling = text("Handling", 3000, required(), min_length=10)
    reported_to_head_on = date("Reported", required(), after("period_to", 0))
    head_instructions = text("Instructions", 1000, optional())

    def hidden(self):
        out = set()
        if not _is(self, "mailbox_linked", "yes"):
            out.add("mailbox_notice")
        if not _is(self, "mailbox_linked", "no"):
            out |= set(REVIEWS)
        if not _is(self, "targets_met", "no"):
            out |= {"follow_up", "improvement_measures"}
        return out


# -- Kaohsiung yearly KPI report (KH-KPI-6) ---------------------------------------------------


class ReleaseRow(RowForm):
    version = string("Version", 20, required())
    released_on = date("Released", required())
    changes = string("Changes", 300, required())


class KpiYearlyReport(HandForm):
    app_heading = heading("1. App and year")
    app_name = string("App name", 100, required())
    year = whole("Year", 200, required(), minimum=100)
    target_heading = heading("2. Target")
    target_population = whole("Population", 100_000_000, required())
    population_basis = string("Basis", 200, required())
    download_target = ComputedField(
        _l("Download target"), check="download_target", args={"population": "target_population"}
    )
    results_heading = heading("3. Results")
    downloads = whole("Downloads", 1_000_000_000, required())
    rating_ios = decimal("iOS", 5, optional())
    rating_count_ios = whole("iOS ratings", 100_000_000, optional())
    rating_android = decimal("Android", 5, optional())
    rating_count_android = whole("Android ratings", 100_000_000, optional())
    kpi_met = MultiChoiceField(
        _l("Met"), [optional()], choices=choices(("downloads", "Downloads"), ("rating", "Rating"))
    )
    results_summary = text("Results", 3000, required(), min_length=20)
    feedback_summary = text("Feedback", 3000, required())
    releases = rows(
        "Versions",
        ReleaseRow,
        [
            ("version", "Version", "string"),
            ("released_on", "Released", "date"),
            ("changes", "Changes", "string"),
        ],
        50,
    )
    attachments_heading = heading("4. Attachments")
    statistics = upload("Statistics", ("pdf", "ods", "xlsx", "zip"), 20, optional())
    plan_notice = notice("Below the KPI: send the plan.")

    def compute(self):
        population = self.target_population.data
        self.download_target.data = (
            self.policy.download_target(population) if isinstance(population, int) else None
        )

    def checks(self):
        if self.rating_ios.data is None and self.rating_android.data is None:
            return [("rating_ios", _("Give a rating."))]
        return []


# -- Taipei roll-out (TP-WG-1/2, TP-ADM-1, TP-SEED-1/2, TP-TRN-1/2) ---------------------------


class MemberRow(RowForm):
    role = SelectChoiceField(
        _l("Role"),
        [required()],
        choices=choices(
            ("convener", "Convener"), ("admin", "Admin"), ("seed", "Seed"), ("member", "Member")
        ),
    )
    name = string("Name", 50, required())
    title = string("Title", 50, required())
    unit = string("Unit", 100, required())
    phone = string("Phone", 30, required())
    email = email("E-mail", required())


PERSON_COLUMNS = [
    ("name", "Name", "string"),
    ("title", "Title", "string"),
    ("unit", "Unit", "string"),
    ("phone", "Phone", "string"),
    ("email", "E-mail", "email"),
]


class WorkGroupRoster(HandForm):
    report_heading = heading("1. Report")
    system_name = string("System", 100, required())
    report_kind = ChoiceField(
        _l("Kind"), [required()], choices=choices(("formed", "Formed"), ("change", "Change"))
    )
    effective_on = date("Effective", RequiredIf(lambda f: _is(f, "report_kind", "change")))
    change_summary = text("Change", 1000, RequiredIf(lambda f: _is(f, "report_kind", "change")))
    reported_on = date("Reported", required())
    members_heading = heading("2. Members", "Convener, administrators, seed users.")
    members = rows(
        "Members", MemberRow, [("role", "Role", "choice"), *PERSON_COLUMNS], 50, min_rows=3
    )
    convener_level = tick("Convener level", "The convener heads a first-level unit.")

    def hidden(self):
        return set() if _is(self, "report_kind", "change") else {"effective_on", "change_summary"}


class PersonRow(RowForm):
    name = string("Name", 50, required())
    title = string("Title", 50, required())
    unit = string("Unit", 100, required())
    phone = string("Phone", 30, required())
    email = email("E-mail", required())


class SeedRow(PersonRow):
    duties = string("Duties", 100, required())


class AdminSeedNomination(HandForm):
    report_heading = heading("1. Report")
    system_name = string("System", 100, required())
    headcount = whole("Headcount", 1_000_000, required(), minimum=1)
    change_kind = ChoiceField(
        _l("Kind"),
        [required()],
        choices=choices(
            ("initial", "Initial"), ("change", "Change"), ("replacement", "Replacement")
        ),
    )
    effective_on = date(
        "Effective", RequiredIf(lambda f: _is(f, "change_kind", "change", "replacement"))
    )
    change_summary = text(
        "Change", 1000, RequiredIf(lambda f: _is(f, "change_kind", "change", "replacement"))
    )
    admins_heading = heading("2. Administrators")
    admins = rows("Administrators", PersonRow, PERSON_COLUMNS, 20, min_rows=2)
    seeds_heading = heading("3. Seed users")
    seeds = rows(
        "Seed users", SeedRow, [*PERSON_COLUMNS, ("duties", "Duties", "string")], 50, min_rows=2
    )

    def hidden(self):
        if _is(self, "change_kind", "change", "replacement"):
            return set()
        return {"effective_on", "change_summary"}


COURSES = choices(
    ("admin", "Admin"),
    ("seed", "Seed"),
    ("lecturer", "Lecturer"),
    ("elearning", "E-learning"),
    ("other", "Other"),
)


class TraineeRow(RowForm):
    name = string("Name", 50, required())
    title = string("Title", 50, required())
    unit = string("Unit", 100, required())
    role = SelectChoiceField(
        _l("Role"),
        [required()],
        choices=choices(("admin", "Admin"), ("seed", "Seed"), ("user", "User")),
    )
    retake = wtforms.BooleanField(_l("Retake"))
    phone = string("Phone", 30, optional())
    email = email("E-mail", required())


class TrainingEnrollment(HandForm):
    course_heading = heading("1. Course")
    system_name = string("System", 100, required())
    course_type = ChoiceField(_l("Course"), [required()], choices=COURSES)
    session_name = string("Session", 100, required())
    session_date = date("Date", required())
    course_hours = decimal("Hours", 500, required())
    trainees_heading = heading("2. Trainees")
    trainees = rows(
        "Trainees",
        TraineeRow,
        [
            ("name", "Name", "string"),
            ("title", "Title", "string"),
            ("unit", "Unit", "string"),
            ("role", "Role", "choice"),
            ("retake", "Retake", "boolean"),
            ("phone", "Phone", "string"),
            ("email", "E-mail", "email"),
        ],
        50,
        min_rows=1,
    )
    lecturer_recommendation = text(
        "Recommendation", 2000, RequiredIf(lambda f: _is(f, "course_type", "lecturer"))
    )
    leave_notice = notice("Leave rules.")

    def hidden(self):
        return set() if _is(self, "course_type", "lecturer") else {"lecturer_recommendation"}


class TrainingLeaveRequest(HandForm):
    trainee_name = string("Trainee", 50, required())
    course_type = ChoiceField(_l("Course"), [required()], choices=COURSES)
    session_name = string("Session", 100, required())
    leave_kind = ChoiceField(
        _l("Kind"),
        [required()],
        choices=choices(("in_advance", "In advance"), ("emergency", "Emergency")),
    )
    filed_on = date("Filed", required())
    session_date = date(
        "Leave day",
        required(),
        after("filed_on", 0, unless=lambda f: _is(f, "leave_kind", "emergency")),
    )
    makeup_on = date(
        "Made up", RequiredIf(lambda f: _is(f, "leave_kind", "emergency")), after("session_date", 0)
    )
    leave_hours = decimal("Hours", 100, required())
    reason = text("Reason", 500, required())
    proof = upload("Proof", ("pdf", "png", "jpeg"), 10, optional())

    def hidden(self):
        return set() if _is(self, "leave_kind", "emergency") else {"makeup_on"}


#: form key -> its hand-written class (the questions of the sample's profile).
HANDWRITTEN: dict[str, type[HandForm]] = {
    "tn_self_assessment": TnSelfAssessment,
    "kh_evaluation_plan": KhEvaluationPlan,
    "listing_checklist": ListingChecklist,
    "delisting_application": DelistingApplication,
    "improvement_marketing_plan": ImprovementMarketingPlan,
    "self_check_checklist": SelfCheckChecklist,
    "kpi_yearly_report": KpiYearlyReport,
    "work_group_roster": WorkGroupRoster,
    "admin_seed_nomination": AdminSeedNomination,
    "training_enrollment": TrainingEnrollment,
    "training_leave_request": TrainingLeaveRequest,
}
