"""Roll-out grades (issue 14, item 3: TP-GRADE-0..2) in the sample host under the Taipei
rules, SQLite and PostgreSQL: every band edge (rule TP-GRADE-1) and the scores refused (above
100, below 0, three decimals), the published ranking (A+/A from the top, D/E from the bottom,
B/C not ranked, ties as ties), the review-report cases opened once per score (TP-GRADE-2),
the pages per role (the IT department keeps the scores; an agency reads the published
ranking and its own scores; another agency's score by id is 404; the helpdesk 403), the
import (CSV, XLSX, ODS; Chinese and English headers; all or nothing), the exports read back,
the CLI, Flask-Admin's check and the demo."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa
from casework import counting_queries, visible_text
from hosting import login

from appgov_plugin.clock import today
from appgov_plugin.evaluation import grades, grades_followup, grades_import
from appgov_plugin.evaluation.grade_case_types import GRADE_REVIEW
from appgov_plugin.evaluation.models import GRADES, RolloutScore
from appgov_plugin.exports import Table, to_ods, to_xlsx
from appgov_plugin.rollout.models import MajorSystem, RolloutAgency, SystemScope
from sample_host.extensions import db
from sample_host.models import Case

SYSTEM = "TG-SYS"
#: A year of the test's own (the demo scores last year's document system).
YEAR = today().year - 2
STAFF_AGENCY, OTHER = "tainan-tourism", "tainan-secretariat"
EN = {"Accept-Language": "en"}
#: Agencies of the test system: (code, kind); the host's three and registry-only ones.
AGENCIES = (
    ("tainan-tourism", "level1"),
    ("tainan-secretariat", "level1"),
    ("tainan-sdc", "level1"),
    ("tg-a", "level1"),
    ("tg-b", "level1"),
    ("tg-c", "level1"),
    ("tg-d", "level1"),
    ("tg-e", "level1"),
    ("tg-school", "school"),
)


@pytest.fixture
def host(make_host):
    host = make_host("taipei")
    with host.app_context():
        for code, kind in AGENCIES:
            if not db.session.scalar(sa.select(RolloutAgency.id).where(RolloutAgency.code == code)):
                db.session.add(
                    RolloutAgency(
                        code=code,
                        kind=kind,
                        city="tainan",
                        name_zh=f"測試{code}",
                        name_en=f"Test {code}",
                        headcount=50,
                        headcount_on=dt.date(2026, 1, 1),
                    )
                )
        system = MajorSystem(
            code=SYSTEM, name_zh="測試系統", name_en="Test system", phase="operations"
        )
        system.scope = [SystemScope(agency_code=code) for code, _kind in AGENCIES]
        system.scope.append(
            SystemScope(
                agency_code="tainan-civil", excluded_on=dt.date(2025, 1, 2), excluded_note="x"
            )
        )
        db.session.add(system)
        db.session.commit()
    return host


def record(code: str, score, *, year: int = YEAR, stage: str = "operations", **extra):
    row, _created = grades.record_score(
        {"agency_code": code, "system": SYSTEM, "year": year, "stage": stage, "score": score}
        | extra,
        actor="test",
    )
    db.session.commit()
    return row


def problems(raw: dict) -> dict[str, str]:
    known = grades.Known.load(None)
    with pytest.raises(grades.ScoreError) as error:
        grades.check_score(raw, known)
    return error.value.problems


# -- the bands (rule TP-GRADE-1) ---------------------------------------------------------------


def test_every_band_edge_and_the_scores_refused(host):
    edges = {
        "100": "A+",
        "95": "A+",
        "94.99": "A",
        "90": "A",
        "89.99": "B",
        "80": "B",
        "79.99": "C",
        "70": "C",
        "69.99": "D",
        "60": "D",
        "59.99": "E",
        "0": "E",
    }
    with host.test_request_context(headers=EN):
        for score, grade in edges.items():
            row = record("tainan-tourism", score)
            assert (row.score, row.grade) == (Decimal(score).quantize(Decimal("0.01")), grade)
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(RolloutScore)
                .where(RolloutScore.system_id == row.system_id)
            )
            == 1
        )  # the same agency, system and year: one score, updated
        base = {"agency_code": "tg-a", "system": SYSTEM, "year": YEAR, "stage": "operations"}
        for bad in ("100.01", "-0.01", "95.125", "abc", "NaN", None):
            found = problems(base | {"score": bad})
            assert set(found) == {"score"}, bad
            assert found["score"].startswith("Score"), found
        assert grades.parse_score("95.100") == Decimal("95.10")  # trailing zeros are no places


def test_the_check_names_each_field(host):
    with host.test_request_context(headers=EN):
        found = problems(
            {
                "agency_code": "tainan-civil",
                "system": SYSTEM,
                "year": 1999,
                "stage": "x",
                "score": "1",
            }
        )
        assert set(found) == {"agency_code", "year", "stage"}
        assert "TP-WG-1" in found["agency_code"]  # excluded by a mayor-approved case
        found = problems({"agency_code": "nobody", "system": "NOPE", "score": 5, "year": YEAR})
        assert set(found) == {"system", "group"}  # no kind in the registry: name the group
        found = problems(
            {"agency_code": "tainan-mayor", "system": SYSTEM, "score": 5, "year": YEAR}
        )
        assert "not in the scope" in found["agency_code"]
        # rule TP-GRADE-0: the go-live evaluation is made once
        record("tg-a", "80", stage="golive", year=YEAR - 1)
        found = problems(
            {"agency_code": "tg-a", "system": SYSTEM, "score": 5, "year": YEAR, "stage": "golive"}
        )
        assert set(found) == {"stage"} and "TP-GRADE-0" in found["stage"]
        # an agency outside the keeper's scope is answered as an unknown one
        known = grades.Known.load({"tg-b"})
        with pytest.raises(grades.ScoreError) as error:
            grades.check_score(
                {"agency_code": "tg-a", "system": SYSTEM, "score": 5, "year": YEAR}, known
            )
        assert "no agency of yours" in error.value.problems["agency_code"]


# -- the ranking ---------------------------------------------------------------------------------


def test_ranking_order_and_ties(host):
    with host.test_request_context(headers=EN):
        scores = {
            "tg-a": "96",
            "tg-b": "92.5",
            "tg-c": "92.5",
            "tg-d": "85",
            "tg-e": "72",
            "tainan-sdc": "66",
            "tainan-tourism": "55",
            "tainan-secretariat": "55",
            "tg-school": "50",
        }
        for code, score in scores.items():
            record(code, score)
        system = db.session.scalar(sa.select(MajorSystem).where(MajorSystem.code == SYSTEM))
        groups = grades.ranking(system.id, YEAR)
        assert [g.group_key for g in groups] == ["level1", "school"]  # TP-GRADE-0: by kind
        level1 = [(r.score.agency_code, r.rank, r.tied, r.side) for r in groups[0].rows]
        assert level1 == [
            ("tg-a", 1, False, "top"),
            ("tg-b", 2, True, "top"),
            ("tg-c", 2, True, "top"),
            ("tg-d", None, False, None),  # B: listed, not ranked
            ("tg-e", None, False, None),  # C
            ("tainan-secretariat", 1, True, "bottom"),  # E 55, from the lowest up
            ("tainan-tourism", 1, True, "bottom"),
            ("tainan-sdc", 3, False, "bottom"),  # D 66
        ]
        assert grades.rank_text(groups[0].rows[1]) == "2 from the top (tie)"
        assert [r.score.agency_code for r in groups[1].rows] == ["tg-school"]
        # a group named by the IT department instead of the kind
        record("tg-e", "72", group="Test group")
        assert [g.group_key for g in grades.ranking(system.id, YEAR)] == [
            "Test group",
            "level1",
            "school",
        ]


def test_grade_distribution_in_one_query(host):
    with host.test_request_context():
        for code, score in (("tg-a", "99"), ("tg-b", "91"), ("tg-c", "91"), ("tg-d", "10")):
            record(code, score)
        system_id = db.session.scalar(sa.select(MajorSystem.id).where(MajorSystem.code == SYSTEM))
    with host.test_request_context(), counting_queries(host) as statements:
        found = grades.grade_distribution(YEAR)
        mine = grades.grade_distribution(YEAR, agencies={"tg-a", "tg-d"})
    assert len(statements) == 2
    assert found[system_id] == {"A+": 1, "A": 2, "B": 0, "C": 0, "D": 0, "E": 1}
    assert mine[system_id] == {"A+": 1, "A": 0, "B": 0, "C": 0, "D": 0, "E": 1}
    assert list(found[system_id]) == list(GRADES)


# -- the follow-ups (rule TP-GRADE-2) ------------------------------------------------------------


def test_review_cases_are_opened_once_per_score(host):
    with host.test_request_context():
        d = record("tainan-tourism", "65")
        e = record("tg-school", "40", in_it_evaluation=False)
        b = record("tg-a", "85")
        system_id = d.system_id
        first = grades_followup.open_review_cases(
            YEAR, system_id=system_id, agencies=None, actor="t"
        )
        db.session.commit()
        assert [s.agency_code for s in first.opened] == ["tainan-tourism"]
        assert [s.agency_code for s in first.not_opened] == ["tg-school"]  # host has no such agency
        case_id = db.session.get(RolloutScore, d.id).review_case_id
        case = db.session.get(Case, case_id)
        assert case.type_key == GRADE_REVIEW and case.agency.code == "tainan-tourism"
        assert case.data["grade"] == "D" and case.data["year"] == YEAR - 1911
        again = grades_followup.open_review_cases(
            YEAR, system_id=system_id, agencies=None, actor="t"
        )
        db.session.commit()
        assert again.opened == [] and [s.id for s in again.existing] == [d.id]
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(Case).where(Case.type_key == GRADE_REVIEW)
        )
        assert count == 1 + _demo_review_cases()
        items = grades_followup.follow_ups(
            [db.session.get(RolloutScore, i) for i in (d.id, e.id, b.id)]
        )
        assert items[d.id].needs_review and items[d.id].review_case_id == case_id
        assert items[d.id].council.meeting_id is None  # no council meeting since
        assert items[e.id].joins_it_evaluation == YEAR + 1
        assert items[b.id].commendation and not items[b.id].needs_review


def _demo_review_cases() -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RolloutScore)
        .where(RolloutScore.year == today().year - 1, RolloutScore.review_case_id.is_not(None))
    )


# -- the pages per role --------------------------------------------------------------------------


def _score_id(code: str, year: int = YEAR) -> int:
    return db.session.scalar(
        sa.select(RolloutScore.id).where(
            RolloutScore.agency_code == code, RolloutScore.year == year
        )
    )


def test_pages_per_role(host):
    with host.test_request_context():
        record("tainan-tourism", "65")
        record("tainan-secretariat", "97")
        own, other = _score_id("tainan-tourism"), _score_id("tainan-secretariat")
    client = host.test_client()
    query = f"/appgov/evaluation/grades?year={YEAR}&system={SYSTEM}"

    login(client, "itdept")
    page = client.get(query, headers=EN)
    assert page.status_code == 200
    text = visible_text(page.get_data(as_text=True))
    assert "1 from the top" in text and "1 from the bottom" in text
    assert "Open the review-report cases" in text
    assert client.get("/appgov/evaluation/grades/new").status_code == 200
    assert client.get("/appgov/evaluation/grades/import").status_code == 200
    posted = client.post(
        "/appgov/evaluation/grades/new",
        data={
            "agency_code": "tg-a",
            "system": SYSTEM,
            "year": YEAR,
            "stage": "operations",
            "score": "91.125",
            "in_it_evaluation": "y",
        },
        headers=EN,
    )
    assert posted.status_code == 400
    assert "Score: at most two decimals" in visible_text(posted.get_data(as_text=True))
    posted = client.post(
        "/appgov/evaluation/grades/new",
        data={
            "agency_code": "tg-a",
            "system": SYSTEM,
            "year": YEAR,
            "stage": "operations",
            "score": "91.25",
            "in_it_evaluation": "y",
        },
    )
    assert posted.status_code == 303
    opened = client.post(
        "/appgov/evaluation/grades/review-cases", data={"year": YEAR, "system": SYSTEM}
    )
    assert opened.status_code == 303
    with host.app_context():
        assert db.session.get(RolloutScore, own).review_case_id is not None

    login(client, "staff")  # tainan-tourism
    page = client.get(query, headers=EN)
    assert page.status_code == 200  # the ranking is published (並予公開)
    body = page.get_data(as_text=True)
    assert f"/appgov/evaluation/grades/{own}" in body
    assert f"/appgov/evaluation/grades/{other}" not in body
    assert client.get(f"/appgov/evaluation/grades/{own}").status_code == 200
    assert client.get(f"/appgov/evaluation/grades/{other}").status_code == 404  # guessed id
    assert client.get("/appgov/evaluation/grades/999999").status_code == 404
    assert client.get("/appgov/evaluation/grades/new").status_code == 403
    assert client.get("/appgov/evaluation/grades/import").status_code == 403
    assert (
        client.post("/appgov/evaluation/grades/review-cases", data={"year": YEAR}).status_code
        == 403
    )

    login(client, "helpdesk")
    assert client.get(query).status_code == 403
    assert client.get(f"/appgov/evaluation/grades/{own}").status_code == 403
    assert client.get(f"/appgov/evaluation/grades.csv?year={YEAR}").status_code == 403


def test_other_profiles_do_not_adopt_the_grades(make_host):
    host = make_host("tainan")
    client = host.test_client()
    login(client, "itdept")
    page = client.get("/appgov/evaluation/grades", headers=EN)
    assert page.status_code == 200
    assert "does not apply the roll-out evaluation rules" in visible_text(
        page.get_data(as_text=True)
    )
    assert client.get("/appgov/evaluation/grades/new").status_code == 404
    assert client.get("/appgov/evaluation/grades/import").status_code == 404
    assert client.get("/appgov/evaluation/grades.csv").status_code == 404


# -- the import ---------------------------------------------------------------------------------

HEADERS = ["agency code", "system code", "year", "stage", "score", "group", "in IT evaluation"]
ZH_HEADERS = ["機關代碼", "系統代碼", "年度", "考評階段", "總分", "組別", "資訊績效考評對象"]


def _csv(headers, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _rows():
    return [
        ["tg-a", SYSTEM, YEAR, "operations", "95", "", "yes"],
        ["tg-b", SYSTEM, YEAR, "系統維運", "59.99", "", "no"],
        ["tg-school", SYSTEM, YEAR, "", "80.5", "", ""],
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_import_each_format(host, fmt):
    rows = _rows()
    if fmt == "csv":
        data = _csv(HEADERS, rows)
    else:
        table = Table(ZH_HEADERS, [[*r[:4], Decimal(r[4]), *r[5:]] for r in rows])
        data = to_xlsx(table) if fmt == "xlsx" else to_ods(table)
    with host.test_request_context():
        checked = grades_import.import_file(data, f"s.{fmt}", dry_run=True, actor="t")
        assert checked.ok and checked.new == 3 and not checked.stored
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(RolloutScore)
                .where(RolloutScore.year == YEAR)
            )
            == 0
        )
        report = grades_import.import_file(data, f"s.{fmt}", dry_run=False, actor="t")
        assert report.ok and report.stored, report.problems
        got = {
            r.agency_code: (r.score, r.grade, r.in_it_evaluation, r.source)
            for r in db.session.scalars(sa.select(RolloutScore).where(RolloutScore.year == YEAR))
        }
        assert got == {
            "tg-a": (Decimal("95.00"), "A+", True, "import"),
            "tg-b": (Decimal("59.99"), "E", False, "import"),
            "tg-school": (Decimal("80.50"), "B", True, "import"),
        }
        again = grades_import.import_file(data, f"s.{fmt}", dry_run=False, actor="t")
        assert (again.new, again.updated, again.unchanged) == (0, 0, 3)


def test_import_is_all_or_nothing_and_names_rows_and_columns(host):
    rows = _rows() + [
        ["tg-c", SYSTEM, YEAR, "operations", "100.01", "", ""],
        ["tg-a", SYSTEM, YEAR, "operations", "90", "", ""],
        ["tainan-civil", SYSTEM, YEAR, "operations", "90", "", ""],
    ]
    with host.test_request_context(), counting_queries(host) as statements:
        report = grades_import.import_file(_csv(HEADERS, rows), "s.csv", dry_run=False, actor="t")
    assert not report.ok and not report.stored
    where = {(p.row, p.column) for p in report.errors}
    assert where == {(5, "score"), (6, "year"), (7, "agency code")}
    assert len(statements) < 15  # the registry read once, whatever the rows
    with host.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(RolloutScore)
                .where(RolloutScore.year == YEAR)
            )
            == 0
        )


def test_import_page_and_cli(host, tmp_path):
    client = host.test_client()
    login(client, "itdept")
    page = client.post(
        "/appgov/evaluation/grades/import",
        data={"file": (io.BytesIO(_csv(HEADERS, _rows())), "s.csv"), "run": "1"},
        content_type="multipart/form-data",
        headers=EN,
    )
    assert page.status_code == 200 and "Imported." in page.get_data(as_text=True)
    file = tmp_path / "s.csv"
    file.write_bytes(_csv(ZH_HEADERS, [["tg-c", SYSTEM, YEAR, "上線", "88", "", ""]]))
    result = host.test_cli_runner().invoke(
        args=["appgov", "evaluation", "import-scores", str(file)]
    )
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output
    file.write_bytes(_csv(HEADERS, [["tg-d", SYSTEM, YEAR, "operations", "-1", "", ""]]))
    result = host.test_cli_runner().invoke(
        args=["appgov", "evaluation", "import-scores", str(file), "--lang", "en"]
    )
    assert result.exit_code == 1 and "column score" in result.output


# -- the exports ---------------------------------------------------------------------------------


def test_exports_read_back(host):
    with host.test_request_context():
        record("tg-a", "96")
        record("tg-b", "96")
        record("tainan-tourism", "50")
    client = host.test_client()
    login(client, "itdept")
    base = f"/appgov/evaluation/grades.%s?year={YEAR}&system={SYSTEM}"
    data = client.get(base % "csv", headers=EN).get_data()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][3:9] == ["Agency code", "Agency", "Stage", "Score", "Grade", "Rank"]
    assert [(r[3], r[6], r[7], r[8]) for r in rows[1:]] == [
        ("tg-a", "96.00", "A+", "1 from the top (tie)"),
        ("tg-b", "96.00", "A+", "1 from the top (tie)"),
        ("tainan-tourism", "50.00", "E", "1 from the bottom"),
    ]
    assert "Review report" in rows[3][9] and "Commendation" in rows[1][9]
    book = openpyxl.load_workbook(io.BytesIO(client.get(base % "xlsx", headers=EN).get_data()))
    sheet = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert [r[3] for r in sheet[1:]] == ["tg-a", "tg-b", "tainan-tourism"]
    assert Decimal(str(sheet[3][6])) == Decimal("50")
    ods = client.get(base % "ods", headers=EN)
    assert ods.status_code == 200 and ods.data[:2] == b"PK"
    from appgov_plugin.imports import read_table

    table = read_table(ods.data, "r.ods")
    assert [row.values[3] for row in table.rows] == ["tg-a", "tg-b", "tainan-tourism"]


# -- Flask-Admin ----------------------------------------------------------------------------


def test_admin_uses_the_same_check(host):
    client = host.test_client()
    login(client, "admin")
    with host.app_context():
        system_id = db.session.scalar(sa.select(MajorSystem.id).where(MajorSystem.code == SYSTEM))
    url = "/admin/appgov_eval_rollout_score/new/"
    assert client.get(url).status_code == 200
    form = {
        "agency_code": "tg-a",
        "system_id": str(system_id),
        "year": str(YEAR),
        "stage": "operations",
        "score": "90.001",
        "group_key": "",
        "note": "",
    }
    refused = client.post(url, data=form, headers=EN)
    assert refused.status_code == 200 and "at most two decimals" in refused.get_data(as_text=True)
    done = client.post(url, data=form | {"score": "89.99", "in_it_evaluation": "y"})
    assert done.status_code == 302
    with host.app_context():
        row = db.session.get(RolloutScore, _score_id("tg-a"))
        assert (row.grade, row.group_key, row.source) == ("B", "level1", "admin")


# -- the demo --------------------------------------------------------------------------------------


def test_demo_grades(host):
    client = host.test_client()
    login(client, "itdept")
    year = today().year - 1
    with host.test_request_context():
        system = db.session.scalar(sa.select(MajorSystem).where(MajorSystem.code == "tn-edoc"))
        rows = list(
            db.session.scalars(
                sa.select(RolloutScore).where(
                    RolloutScore.system_id == system.id, RolloutScore.year == year
                )
            )
        )
        in_scope = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SystemScope)
            .where(SystemScope.system_id == system.id, SystemScope.excluded_on.is_(None))
        )
        assert len(rows) == in_scope
        assert {r.grade for r in rows} == set(GRADES)
        tourism = next(r for r in rows if r.agency_code == "tainan-tourism")
        assert tourism.grade == "E" and tourism.review_case_id is not None
        assert db.session.get(Case, tourism.review_case_id).type_key == GRADE_REVIEW
        level1 = grades.ranking(system.id, year, group="level1")[0].rows
        assert any(r.tied for r in level1)
        items = grades_followup.follow_ups(rows)
        assert any(i.joins_it_evaluation == year + 1 for i in items.values())
        assert sum(1 for i in items.values() if i.commendation) >= 3
    page = client.get(f"/appgov/evaluation/grades?year={year}&system=tn-edoc")
    assert page.status_code == 200
    assert "民國" in page.get_data(as_text=True)
