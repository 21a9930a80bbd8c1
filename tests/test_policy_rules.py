"""Table-driven tests of every rule of the facade, with the rulebook's boundary values."""

from __future__ import annotations

import datetime as dt
import re
import types
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale

import appgov_plugin
from appgov_plugin.policy import DEADLINE_KINDS, PARAMETERS, PROFILES, rulebook
from appgov_plugin.policy.manager import UnknownProfileError, hook_module_labels

D = dt.date


@pytest.fixture(params=PROFILES)
def policy(request):
    return appgov_plugin.get_policy(request.param)


# -- KH-KPI-1 -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("population", "target"),
    [
        (2_750_000, 137_500),  # worked examples of the Kaohsiung KPI table
        (35_000, 8_750),
        (1_986_191, 99_309),
        (1_000_001, 50_000),  # > 1,000,000 -> 5 %
        (1_000_000, 100_000),  # exactly 1,000,000 -> 10 %
        (100_000, 10_000),  # exactly 100,000 -> 10 %
        (99_999, 24_999),  # < 100,000 -> 25 %, floor
        (0, 0),
        (3, 0),
    ],
)
def test_download_target_kh_kpi_1(policy, population, target):
    assert policy.download_target(population) == target


@pytest.mark.parametrize("bad", [-1, 1.5, "100", None, True])
def test_download_target_refuses_bad_population(policy, bad):
    with pytest.raises(ValueError, match=repr(bad).replace("(", r"\(")):
        policy.download_target(bad)


# -- KH-KPI-2 -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ios", "android", "passes"),
    [
        ((3.5, 100), (3.5, 100), False),  # exactly 3.5 fails
        ((3.51, 100), None, True),
        ((4.0, 10), (3.0, 90), False),  # weighted: 3.1
        ((4.0, 90), (3.0, 10), True),  # weighted: 3.9
        ((4.0, None), (3.0, 1000), False),  # a count unknown: plain mean, exactly 3.5
        ((3.9, None), (3.2, 1000), True),  # plain mean 3.55
        ((3.8, None), (3.2, 1000), False),  # plain mean 3.5 -> fails
        (None, (3.6, None), True),
        ((5, 0), (3.0, 0), True),  # no ratings counted anywhere: plain mean 4.0
    ],
)
def test_rating_passes_kh_kpi_2(policy, ios, android, passes):
    assert policy.rating_passes(ios=ios, android=android) is passes


@pytest.mark.parametrize(
    ("ios", "android", "message"),
    [
        (None, None, "at least one"),
        ((5.1, 3), None, "5.1"),
        ((-1, 3), None, "-1"),
        ((4, -3), None, "-3"),
        ((4,), None, r"\(4,\)"),
    ],
)
def test_rating_refuses_bad_input(policy, ios, android, message):
    with pytest.raises(ValueError, match=message):
        policy.rating_passes(ios=ios, android=android)


# -- TP-GRADE-1 -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "A+"),
        (95, "A+"),
        (94.999, "A"),
        ("94.999", "A"),
        (90, "A"),
        (89.99, "B"),
        (80, "B"),
        (79.9, "C"),
        (70, "C"),
        (60, "D"),
        (59.99, "E"),
        (0, "E"),
        (Decimal("95.000"), "A+"),
    ],
)
def test_grade_tp_grade_1(policy, score, grade):
    assert policy.grade(score) == grade


@pytest.mark.parametrize("bad", [-0.01, 100.01, 101, "abc", float("nan"), None])
def test_grade_refuses_scores_outside_0_100(policy, bad):
    with pytest.raises(ValueError):
        policy.grade(bad)


# -- TP-SEED-1, TP-ADM-1 --------------------------------------------------------------
@pytest.mark.parametrize(
    ("headcount", "limits"),
    [
        (0, (2, 2)),
        (39, (2, 2)),
        (40, (2, 2)),
        (41, (2, 2)),
        (59, (2, 2)),
        (60, (2, 3)),
        (100, (2, 5)),
        (1_000, (2, 50)),
    ],
)
def test_seed_user_limits_tp_seed_1(policy, headcount, limits):
    assert policy.seed_user_limits(headcount) == limits


def test_seed_user_limits_refuse_negative_headcount(policy):
    with pytest.raises(ValueError, match="-1"):
        policy.seed_user_limits(-1)


def test_min_system_admins_tp_adm_1(policy):
    assert policy.min_system_admins() == 2


# -- KH-VER-1, KH-SEC-1 ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("previous", "new", "relisting", "needed"),
    [
        (None, "1.0.0", False, True),  # a new app
        ("1.4.2", "2.0.0", False, True),  # major change
        ("1.4.2", "1.5.0", False, False),
        ("1.4.2", "1.4.3", False, False),
        ("1.4.2", "1.4.2", True, True),  # relisting after a security takedown
        ("9.9.9", "10.0.0", False, True),
        ("1.9.0", "1.10.0", False, False),
    ],
)
def test_security_report_kh_sec_1(policy, previous, new, relisting, needed):
    assert policy.needs_security_report(previous, new, relisting) is needed


@pytest.mark.parametrize(
    "bad", ["1.2", "v1.2.3", "1.2.3-beta", "v1.2.3-beta", "1.2.3.4", "01.2.3", " 1.2.3", ""]
)
def test_malformed_versions_are_named_kh_ver_1(policy, bad):
    with pytest.raises(ValueError, match=f"malformed version {bad!r}"):
        policy.needs_security_report("1.0.0", bad)
    with pytest.raises(ValueError, match=f"malformed version {bad!r}"):
        policy.needs_security_report(bad, "2.0.0")


def test_version_going_backwards_is_refused(policy):
    with pytest.raises(ValueError, match="'1.0.0' is lower than the previous version '1.2.0'"):
        policy.needs_security_report("1.2.0", "1.0.0")


# -- TP-TRN-3 -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("course", "hours", "leave", "absences", "status"),
    [
        ("admin", 12, 2.4, 0, "dismissed"),  # exactly 20 % (2.4 / 12 >= 0.2 is False in floats)
        ("admin", 12, "2.39", 0, "active"),
        ("seed", 10, 2, 0, "dismissed"),
        ("seed", 10, 1.99, 0, "active"),
        ("lecturer", 30, 3, 0, "dismissed"),  # exactly 10 %
        ("lecturer", 30, 2.9, 0, "active"),
        ("elearning", 6, 1.2, 0, "dismissed"),
        ("other", 7, 1.4, 0, "dismissed"),  # 1.4 / 7 == 0.2 exactly
        ("other", 7, 0, 1, "dismissed"),  # any unexcused absence
        ("admin", 12, 0, 0, "active"),
    ],
)
def test_training_status_tp_trn_3(policy, course, hours, leave, absences, status):
    assert policy.training_status(course, hours, leave, absences) == status


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("cooking", 12, 0, 0), "unknown course type 'cooking'"),
        (("admin", -1, 0, 0), "-1"),
        (("admin", 0, 0, 0), "above 0"),
        (("admin", 12, -2, 0), "-2"),
        (("admin", 12, 0, -1), "-1"),
    ],
)
def test_training_status_refuses_bad_input(policy, args, message):
    with pytest.raises(ValueError, match=message):
        policy.training_status(*args)


# -- TP-TRN-4 -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcomes", "needed"),
    [
        ([], False),
        (["fail", "fail"], False),
        (["fail", "fail", "fail"], True),
        (["fail", "fail", "pass", "fail"], False),
        (["fail", "pass", "fail", "fail", "fail"], True),
        (["dismissed"], False),
        (["dismissed", "pass", "dismissed"], True),
        (["fail", "dismissed", "fail"], False),
    ],
)
def test_fitness_review_tp_trn_4(policy, outcomes, needed):
    assert policy.fitness_review_needed(outcomes) is needed


def test_fitness_review_refuses_unknown_outcome(policy):
    with pytest.raises(ValueError, match="unknown training outcome 'absent'"):
        policy.fitness_review_needed(["pass", "absent"])


# -- deadlines (TIME-2, TIME-3, TIME-4) -------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "start", "deadline"),
    [
        # TIME-2, start not counted; Friday -> Wednesday across a weekend
        ("roster_change", D(2026, 11, 20), D(2026, 11, 25)),
        # across Lunar New Year 2025 (1/25-2/2 off, 1/27 bridge day)
        ("roster_change", D(2025, 1, 24), D(2025, 2, 5)),
        # make-up Saturday 2025-02-08 counts as a working day
        ("roster_change", D(2025, 2, 6), D(2025, 2, 10)),
        ("minutes", D(2024, 2, 16), D(2024, 2, 22)),  # 2024-02-17 make-up Saturday counts
        ("replacement", D(2026, 2, 12), D(2026, 3, 6)),  # 2/14-2/22 new year, 2/27 holiday
        ("leave_makeup", D(2026, 10, 8), D(2026, 10, 20)),  # 10/9, 10/10 and 10/26 off
        # TIME-3: 14 calendar days, moved off a weekend or holiday
        ("plan_review", D(2026, 2, 1), D(2026, 2, 23)),
        ("plan_review", D(2026, 11, 2), D(2026, 11, 16)),  # Monday + 14 = Monday
        ("plan_review", D(2026, 11, 7), D(2026, 11, 23)),  # lands on Saturday -> Monday
        # TIME-4: same day next month, else its last day
        ("delisting_notice", D(2025, 1, 31), D(2025, 2, 28)),
        ("delisting_notice", D(2024, 1, 31), D(2024, 2, 29)),
        ("delisting_notice", D(2026, 12, 15), D(2027, 1, 15)),
        ("delisting_notice", D(2026, 5, 31), D(2026, 6, 30)),
    ],
)
def test_deadlines(policy, kind, start, deadline):
    assert policy.deadline(kind, start) == deadline


def test_unknown_deadline_kind_is_named(policy):
    with pytest.raises(ValueError, match="unknown deadline kind 'lunch'"):
        policy.deadline("lunch", D(2026, 1, 5))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 11, 23), True),
        (D(2026, 11, 22), False),  # Sunday
        (D(2025, 2, 8), True),  # make-up Saturday
        (D(2024, 2, 17), True),  # make-up Saturday
        (D(2025, 1, 27), False),  # bridge holiday
        (D(2026, 5, 1), False),  # Labour Day, a day off for civil servants from 2026
        (D(2026, 9, 28), False),  # Teachers' Day, a national holiday again from 2025
        (D(2027, 2, 8), False),  # Lunar New Year 2027
    ],
)
def test_is_working_day_time_1(policy, day, working):
    assert policy.is_working_day(day) is working


def test_add_working_days_refuses_nonsense(policy):
    with pytest.raises(ValueError, match="at least 1"):
        policy.add_working_days(D(2026, 1, 1), 0)
    with pytest.raises(ValueError, match="must be a date"):
        policy.add_working_days("2026-01-01", 1)


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown profile 'gotham'; known profiles: tainan, "):
        appgov_plugin.get_policy("gotham")


def test_profiles_differ_where_the_cities_differ():
    def answers(name):
        return {p: appgov_plugin.get_policy(p).param(name) for p in PROFILES}

    # KH-EVAL-2: escalation to the mayor
    assert answers("proposal_escalation_to_mayor") == {
        "tainan": False,
        "kaohsiung": True,
        "taipei": False,
    }
    # KH-KPI-4 is Kaohsiung's rule: elsewhere it does not apply (no "0: never" value); the
    # parameter keeps the rulebook's value for a city that adopts the rule
    assert answers("kpi_failed_years_for_delisting") == {"tainan": 2, "kaohsiung": 2, "taipei": 2}
    assert {p: appgov_plugin.get_policy(p).applies("KH-KPI-4") for p in PROFILES} == {
        "tainan": False,
        "kaohsiung": True,
        "taipei": False,
    }


# -- rules.md "Profiles are real": which rules each deployment applies --------------------

#: every rule ID of rules.md, in its order
RULEBOOK_IDS = [
    "TIME-1",
    "TIME-2",
    "TIME-3",
    "TIME-4",
    "TIME-5",
    "TN-EVAL-1",
    "TN-EVAL-2",
    "TN-EVAL-3",
    "TN-EVAL-4",
    "TN-EVAL-5",
    "KH-EVAL-1",
    "KH-EVAL-2",
    "KH-EVAL-3",
    "KH-VER-1",
    "KH-SEC-1",
    "TN-LIST-1",
    "TN-LIST-3",
    "KH-LIST-1",
    "TN-LIST-2",
    "KH-LIST-2",
    "TN-DEL-1",
    "TN-DEL-2",
    "TN-DEL-3",
    "KH-KPI-1",
    "KH-KPI-2",
    "KH-KPI-3",
    "KH-KPI-4",
    "KH-KPI-5",
    "KH-KPI-6",
    "TN-PERF-1",
    "TN-PERF-2",
    "TN-PERF-3",
    "TP-GRADE-0",
    "TP-GRADE-1",
    "TP-GRADE-2",
    "TP-WG-1",
    "TP-WG-2",
    "TP-WG-3",
    "TP-WG-4",
    "TP-ADM-1",
    "TP-SEED-1",
    "TP-SEED-2",
    "TP-SEED-3",
    "TP-SUP-1",
    "TP-TRN-1",
    "TP-TRN-2",
    "TP-TRN-3",
    "TP-TRN-4",
    "TP-TRN-5",
    "TP-TRN-6",
    "TN-LEARN-1",
    "TN-MAIL-1",
    "MAIL-2",
]
RULES_MD = Path(__file__).resolve().parents[2] / "shared" / "spec" / "rules.md"


def test_the_registry_holds_every_rule_of_the_rulebook():
    assert list(rulebook.RULES) == RULEBOOK_IDS
    for rule in rulebook.RULES.values():
        assert str(rule.title) and rule.title != rule.id


@pytest.mark.skipif(not RULES_MD.exists(), reason="the rulebook lives beside the checkout")
def test_the_registry_matches_rules_md():
    text = RULES_MD.read_text(encoding="utf-8")
    ids = set(re.findall(r"\b(?:TIME|MAIL|TN-[A-Z]+|KH-[A-Z]+|TP-[A-Z]+)-\d+\b", text))
    assert ids == set(rulebook.RULES)


def test_each_profile_module_declares_exactly_its_citys_rules():
    from appgov_plugin.hooks import kaohsiung, tainan, taipei

    for module, prefix in ((tainan, "TN-"), (kaohsiung, "KH-"), (taipei, "TP-")):
        declared = {rule for rules in module.RULES.values() for rule in rules}
        assert declared == {r for r in RULEBOOK_IDS if r.startswith(prefix)}, module.__name__


APPLIES = {
    # rule: (tainan, kaohsiung, taipei)
    "TIME-1": (True, True, True),
    "TIME-5": (True, True, True),
    "MAIL-2": (True, True, True),
    "TN-EVAL-2": (True, False, False),
    "TN-PERF-1": (True, False, False),
    "TN-DEL-1": (True, False, False),
    "TN-LEARN-1": (True, False, False),
    "TN-MAIL-1": (True, False, False),
    "KH-EVAL-1": (False, True, False),
    "KH-SEC-1": (False, True, False),  # a Tainan deployment is asked for no security report
    "KH-KPI-3": (False, True, False),  # ... and no improvement-and-marketing plan
    "KH-KPI-4": (False, True, False),
    "TP-SEED-1": (False, False, True),  # roll-out rules: adopted where a city runs one
    "TP-WG-4": (False, False, True),
    "TP-GRADE-1": (False, False, True),
}


@pytest.mark.parametrize("rule_id", sorted(APPLIES))
def test_applies_per_profile(rule_id):
    assert tuple(appgov_plugin.get_policy(p).applies(rule_id) for p in PROFILES) == APPLIES[rule_id]


def test_the_facade_still_answers_every_rule_for_every_profile():
    tainan = appgov_plugin.get_policy("tainan")
    assert not tainan.applies("KH-SEC-1") and tainan.needs_security_report(None, "1.0.0")
    assert not tainan.applies("KH-KPI-1") and tainan.download_target(35_000) == 8_750


@pytest.mark.parametrize("bad", ["TN-EVAL-9", "kh-kpi-1", "KPI", "", None, 3])
def test_unknown_rule_ids_are_named(policy, bad):
    with pytest.raises(ValueError, match=re.escape(f"unknown rule {bad!r}")):
        policy.applies(bad)


def _module(name, **hooks):
    module = types.ModuleType(name)
    for hook, function in hooks.items():
        setattr(module, hook, appgov_plugin.hookimpl(function))
    return module


def test_a_rule_is_adopted_through_the_rule_parameter():
    adopt = _module(
        "adopt_by_parameter",
        appgov_parameter=lambda policy, name, as_of: (
            ["TN-LEARN-1", "TP-SEED-1"] if name == "adopted_rules" else None
        ),
    )
    policy = appgov_plugin.get_policy("kaohsiung", plugins=[adopt])
    assert policy.applies("TN-LEARN-1") and policy.applies("TP-SEED-1")
    assert not policy.applies("TN-EVAL-2")
    assert policy.applies("KH-KPI-1")  # its own rules stay
    assert {"TN-LEARN-1", "TP-SEED-1", "KH-KPI-1"} <= policy.applied_rules()
    assert rulebook.status(policy, "TN-LEARN-1").source == "parameter"


def test_a_hook_module_adopts_and_drops_rules_appgov_rule_applies():
    def applies(policy, rule):
        if rule == "TN-PERF-1":
            return True  # adopt Tainan's evaluation against the agency's targets
        if rule == "KH-KPI-3":
            return False  # drop the improvement-and-marketing plan
        return None

    city = _module("city_rules", appgov_rule_applies=applies)
    policy = appgov_plugin.get_policy("kaohsiung", plugins=[city])
    assert policy.applies("TN-PERF-1") and not policy.applies("KH-KPI-3")
    assert policy.applies("KH-KPI-1")  # everything else as the profile says
    assert rulebook.status(policy, "TN-PERF-1").source == "hook"
    assert rulebook.status(policy, "KH-KPI-3").source == "dropped"
    assert not appgov_plugin.get_policy("kaohsiung").applies("TN-PERF-1")  # no leak


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["TN-LEARN-9"], "unknown rule 'TN-LEARN-9'"),
        (["TN-LEARN-1", "TN-LEARN-1"], "TN-LEARN-1 is listed twice"),
        ("TN-LEARN-1", "expected a list of rule IDs"),
    ],
)
def test_adopted_rules_are_checked(value, message):
    with pytest.raises(ValueError, match=message):
        PARAMETERS["adopted_rules"].normalise(value)


def test_the_four_parameters_nothing_reads_are_marked_unused():
    unused = {name for name in PARAMETERS if not rulebook.parameter_in_use(name)}
    assert unused == {
        "kpi_failed_years_for_delisting",  # KH-KPI-4 forced delisting
        "plan_text_length",  # KH-KPI-3 plans are not filed yet
        "learning_hours_per_year",  # TN-LEARN-1
        "council_missed_meetings_seat_loss",  # TP-WG-4 council seat
    }
    for name in unused:  # each is named by a planned process
        assert rulebook.parameter_processes(name, planned=True), name
    assert not rulebook.rule_in_use("KH-KPI-4") and rulebook.rule_in_use("KH-KPI-1")
    assert rulebook.parameter_use("grade_bands") == "facade"
    assert rulebook.parameter_use("rating_bar") == "process"


def _reads(call) -> set[str]:
    """The parameters a facade call reads (asked through the appgov_parameter hook)."""
    seen: set[str] = set()
    spy = _module(
        "spy", appgov_parameter=lambda policy, name, as_of: seen.add(name)
    )  # returns None: the profile answers
    call(appgov_plugin.get_policy("kaohsiung", plugins=[spy]))
    return seen - {"adopted_rules"}


def test_the_registry_names_the_parameters_the_facade_reads():
    day = D(2026, 11, 20)
    read = set()
    read |= _reads(lambda p: p.download_target(35_000))
    read |= _reads(lambda p: p.rating_passes(ios=(4, 10)))
    read |= _reads(lambda p: p.grade(90))
    read |= _reads(lambda p: p.seed_user_limits(100))
    read |= _reads(lambda p: p.min_system_admins())
    read |= _reads(lambda p: [p.deadline(kind, day) for kind in DEADLINE_KINDS])
    read |= _reads(lambda p: p.training_status("admin", 10, 1, 0))
    read |= _reads(lambda p: p.fitness_review_needed(["fail", "dismissed"]))
    assert read == set(rulebook.PROCESSES["facade"].parameters)


def test_every_parameter_and_rule_is_placed_in_a_process():
    placed = {n for p in rulebook.PROCESSES.values() for n in p.parameters}
    assert set(PARAMETERS) <= placed
    for process in rulebook.PROCESSES.values():
        for rule_id in process.rules:
            rulebook.rule(rule_id)
    for rule in rulebook.RULES.values():
        assert rule.processes or rule.planned or rule.by_facade, rule.id


@pytest.mark.parametrize(
    ("profile", "label_zh", "label_en"),
    [
        ("tainan", "臺南市", "Tainan City"),
        ("kaohsiung", "高雄市", "Kaohsiung City"),
        ("taipei", "臺北市", "Taipei City"),
    ],
)
def test_profiles_read_as_city_names(babel_app, profile, label_zh, label_en):
    with babel_app.test_request_context():
        assert str(rulebook.profile_label(profile)) == label_zh
        with force_locale("en"):
            assert str(rulebook.profile_label(profile)) == label_en


def test_unknown_profile_is_english_for_developers_and_translated_for_officials(babel_app):
    with pytest.raises(UnknownProfileError) as caught:
        appgov_plugin.get_policy("gotham")
    assert str(caught.value).startswith("unknown profile 'gotham'; known profiles: tainan")
    with babel_app.test_request_context():
        assert caught.value.translated() == (
            "“gotham” 不是城市設定檔。請選擇："
            "臺南市 (tainan)、高雄市 (kaohsiung)、臺北市 (taipei)。"
        )
        with force_locale("en"):
            assert caught.value.translated() == (
                "“gotham” is not a city profile. Choose one of: Tainan City (tainan), "
                "Kaohsiung City (kaohsiung), Taipei City (taipei)."
            )


def test_hook_modules_read_as_labels(babel_app):
    policy = appgov_plugin.get_policy("tainan", plugins=[_module("city_package")])
    with babel_app.test_request_context():
        labels = [label for _key, label in hook_module_labels(policy)]
        assert labels == ["本市規則模組 city_package", "臺南市規定", "共同預設"]
        with force_locale("en"):
            labels = [label for _key, label in hook_module_labels(policy)]
            assert labels == [
                "Deployment hook module city_package",
                "Tainan City rules",
                "Shared defaults",
            ]
