"""Helpers for the case tests (reading rule, search, edits): proposals, users, page text."""

from __future__ import annotations

import contextlib
import hashlib
import html
import re

import sqlalchemy as sa
from form_samples import SAMPLE_FILES, Upload, stored_files
from werkzeug.datastructures import MultiDict

from appgov_plugin import uploads
from appgov_plugin.apps.case_types import PROPOSAL, proposal_form_key
from appgov_plugin.forms.samples import KH_EVALUATION_PLAN
from sample_host.cases import open_case
from sample_host.extensions import db
from sample_host.models import Agency, Case, CaseHistory, User

#: The Tainan self-assessment's requirements specification (TN-EVAL-1), a small real PDF
SPEC = Upload("pdf", "需求規格書.pdf")


def reference(upload: Upload) -> dict:
    """The stored answer of ``upload`` (what appgov_plugin.uploads.store answers for it)."""
    content = SAMPLE_FILES[upload.kind]
    return {
        "sha256": hashlib.sha256(content).hexdigest(),
        "name": upload.name,
        "size": len(content),
        "type": uploads.KINDS[upload.kind].mime_type,
    }


#: A proposal's stored answers on Tainan's form (tn_self_assessment, TN-EVAL-1..5), as the
#: host keeps them (JSON); the attachment is a stored file's reference (new_proposal stores it).
ANSWERS = {
    "app_name": "府城好停車",
    "purpose": "整合路邊與路外停車場即時空位、繳費與導航，減少市區繞行找車位的時間。",
    "platforms": ["ios", "android"],
    "budget": 3_200_000,
    "requirements_spec": reference(SPEC),
    "requirements_summary": "即時空位、路邊停車繳費、導航與到期提醒等功能需求。",
    "open_data_first": "yes",
    "open_data_url": "https://data.tainan.gov.tw/dataset/parking-spaces",
    "eligibility_grounds": ["missing_function"],
    "mayor_mailbox_link": True,
    "source_code_rights": True,
}

#: The same app on Kaohsiung's development evaluation plan (kh_evaluation_plan, KH-EVAL-1):
#: the plan's sample answers with the app's own basic data.
KH_ANSWERS = {
    **KH_EVALUATION_PLAN,
    **{name: ANSWERS[name] for name in ("app_name", "purpose", "platforms", "budget")},
}

#: TN-EVAL-3 ground (4), other necessity: the agency head approves before review
GROUND_FOUR = {
    "eligibility_grounds": ["other_necessity"],
    "other_necessity": "配合市府重大政策。",
}


def _is_file(value) -> bool:
    return isinstance(value, Upload) or (isinstance(value, dict) and "sha256" in value)


def _sample_of(value) -> Upload | None:
    """The sample file of a file answer: an Upload, or the stored reference of one (None: a
    file of the caller's own, which the caller stored)."""
    if isinstance(value, Upload):
        return value
    for kind, content in SAMPLE_FILES.items():
        if value["sha256"] == hashlib.sha256(content).hexdigest():
            return Upload(kind, value["name"])
    return None


def _upload_of(value) -> Upload:
    sample = _sample_of(value)
    if sample is None:
        raise ValueError(f"no sample file for {value!r}: post the file itself")
    return sample


def posted(answers: dict) -> MultiDict:
    """The answers as a browser posts them (ticked boxes "y", unticked ones absent, a
    multichoice one value per box, rows as ``<name>-<n>-<column>``, files sent again)."""
    data = MultiDict()
    for name, value in answers.items():
        if value is True:
            data.add(name, "y")
        elif value is False or value is None:
            continue
        elif _is_file(value):
            data.add(name, _upload_of(value).storage())  # a real file, sent again
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, row in enumerate(value):
                for column, cell in row.items():
                    if cell not in (None, False):
                        data.add(f"{name}-{index}-{column}", "y" if cell is True else str(cell))
        elif isinstance(value, list):
            for item in value:
                data.add(name, item)
        elif isinstance(value, int):
            data.add(name, str(value))
        else:
            data.add(name, value)
    return data


def proposal_answers() -> dict:
    """The proposal answers of the deployment's own form (inside an app context): Tainan's
    self-assessment or Kaohsiung's evaluation plan."""
    return KH_ANSWERS if proposal_form_key() == "kh_evaluation_plan" else ANSWERS


def add_user(username: str, role: str, agency_code: str | None) -> User:
    """A user with password ``demo-<username>`` (inside an app context; committed)."""
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency_code))
    user = User(username=username, display_name=f"{username} 測試", role=role, agency=agency)
    user.set_password(f"demo-{username}")
    db.session.add(user)
    db.session.commit()
    return user


def new_proposal(
    owner: str = "staff",
    agency: str = "tainan-tourism",
    steps: tuple[str, ...] = (),
    actors: tuple[str, ...] = (),
    **changes,
) -> int:
    """Open a proposal through the host's engine and take ``steps`` (inside an app context):
    the deployment's own form's answers (:func:`proposal_answers`), its files stored."""
    answers = {**proposal_answers(), **changes}
    # each attachment stored for real (appgov_plugin.uploads), its reference in the answers
    # (a reference of the caller's own file is kept as it is: the caller stored that file)
    files = {name: _sample_of(v) for name, v in answers.items() if _is_file(v)}
    answers.update(stored_files({name: v for name, v in files.items() if v is not None}))
    case = open_case(PROPOSAL, agency, owner, answers, steps, actors)
    db.session.commit()
    return case.id


def status(case_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Case, case_id).status


def history(case_id: int) -> list[CaseHistory]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(CaseHistory).where(CaseHistory.case_id == case_id).order_by(CaseHistory.id)
        )
    )


#: Tags inside a line of text: dropped without a blank (``<span lang>`` marks a language part).
INLINE_TAGS = re.compile(r"</?(?:span|a|b|i|em|strong|small|code|abbr|time|mark|bdi)\b[^>]*>", re.I)


def visible_text(page: str) -> str:
    """What a reader sees: no tags, attributes, scripts or styles; entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = INLINE_TAGS.sub("", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def linked_case_ids(page: str) -> set[int]:
    """The case pages a page links to."""
    return {int(n) for n in re.findall(r'href="/cases/(\d+)"', page)}


@contextlib.contextmanager
def counting_queries(app):
    """Collects every SQL statement sent on the app's engine (``as statements``)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


# -- raw SQL, as a script with the database's rights -------------------------------------------


def raw_connection():
    """A connection of its own, as a script with the database's rights has (the app's session
    ended first: on PostgreSQL, TRUNCATE and DROP TRIGGER wait for open transactions)."""
    db.session.rollback()
    return db.engine.begin()


def insert_agency_and_user(conn) -> None:
    """Agency 1 (``a``, Tainan) and its staff member user 1 (``u``), in raw SQL: what the
    migration tests put in an old schema before upgrading it."""
    conn.execute(
        sa.text(
            "INSERT INTO host_agency (id, code, name_zh, name_en, city) "
            "VALUES (1, 'a', '甲', 'A', 'tainan')"
        )
    )
    conn.execute(
        sa.text(
            "INSERT INTO host_user (id, username, display_name, password_hash, role, "
            "agency_id, active) VALUES (1, 'u', 'U', 'x', 'agency_staff', 1, :yes)"
        ),
        {"yes": True},
    )
