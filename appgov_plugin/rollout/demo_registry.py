"""Demonstration roll-out registry, where the deployment applies the roll-out rules (TP-*):
a Tainan City of 47 agencies and schools, two major systems, their rosters and the breaches
the IT department's dashboard shows on the day the demo is loaded.

* **Agencies** -- the host's three Tainan agencies, linked by code (the registry keeps their
  kind and headcount only: the host names them), and 44 agencies the host does not know,
  named here in city ``tainan``: twelve bureaus (level 1), six level-2 agencies under them,
  a municipal enterprise, fifteen of the city's 37 district offices and ten schools under
  the Education Bureau. Headcounts run from 25 (a small primary school) to 860 (the
  Finance and Taxation Bureau) and include the TP-SEED-1 boundaries 39, 40, 41 and 100.
* **Systems** -- 公文線上簽核系統 at go-live, its work-group deadline two months past, every
  agency in scope; 差勤管理系統 in development, its deadline six weeks ahead, in scope of the
  host agencies, the bureaus, the level-2 agencies and the enterprise, which a mayor-approved
  case took out of it (TP-WG-1). No demo case is such a case (the demo opens roll-out
  reports of the Tourism Bureau only), so the exclusion cites none and its note says so.
* **People and rosters** -- per agency a convener who heads a first-level unit or above, two
  system administrators, seed users within the agency's limits and a work-group member,
  each assignment with its start date, its report date and its ``roster_change`` deadline.
  The demo users ``staff`` (王小明, administrator) and ``head`` (陳美玲, convener) are the
  Tourism Bureau's own people.

The breaches on the document system (each the only one of its agency): the Tourism Bureau
has one seed user (TP-SEED-1, too few: ``staff`` files the roster change that fixes it), the
七股區區公所 (headcount 41) three (TP-SEED-1, too many), the Public Works Bureau one
administrator (TP-ADM-1); the 白河區區公所 filed no work group and the 新化區區公所 filed it
after the deadline (TP-WG-1); at the Civil Affairs Bureau a seed user left the agency (her
role ended that day) and her replacement was reported after the ``roster_change`` deadline
(TP-SEED-2); the Social Affairs Bureau has not replaced a seed user found unfit six weeks ago
(TP-SEED-3), while the Public Health Bureau's finding of the last working day is not yet
due. On the attendance system the Labor Affairs Bureau filed its work group with a convener
who heads no unit (TP-WG-1). Every other agency in scope is compliant.

Every date is counted from today (:func:`appgov_plugin.clock.today`) and every deadline
comes from the policy (``policy.deadline``), so the dashboard shows the same picture
whenever the demo is seeded. The rows are written inside the demo's transaction. The
people are invented; their e-mail addresses are at ``example.org``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..clock import today
from ..demo import agency_staff
from ..state import get_state
from .models import (
    Assignment,
    MajorSystem,
    RolloutAgency,
    RolloutPerson,
    SystemScope,
    UnfitFinding,
    WorkGroupFiling,
)

#: The host's own Tainan agencies (sample_host/demo.py), linked by code: kind, headcount.
HOST_AGENCIES = (
    ("tainan-sdc", "level1", 64),
    ("tainan-tourism", "level1", 168),
    ("tainan-secretariat", "level1", 256),
)

#: Agencies the host does not know: code, Chinese name, English name, kind, parent, headcount.
AGENCIES = (
    # level-1 agencies (一級機關)
    ("tainan-civil", "臺南市政府民政局", "Civil Affairs Bureau", "level1", None, 320),
    ("tainan-education", "臺南市政府教育局", "Education Bureau", "level1", None, 410),
    ("tainan-works", "臺南市政府工務局", "Public Works Bureau", "level1", None, 520),
    ("tainan-social", "臺南市政府社會局", "Social Affairs Bureau", "level1", None, 390),
    ("tainan-finance", "臺南市政府財政稅務局", "Finance and Taxation Bureau", "level1", None, 860),
    ("tainan-transport", "臺南市政府交通局", "Transportation Bureau", "level1", None, 280),
    ("tainan-health", "臺南市政府衛生局", "Public Health Bureau", "level1", None, 430),
    ("tainan-labor", "臺南市政府勞工局", "Labor Affairs Bureau", "level1", None, 210),
    ("tainan-culture", "臺南市政府文化局", "Cultural Affairs Bureau", "level1", None, 240),
    ("tainan-land", "臺南市政府地政局", "Land Administration Bureau", "level1", None, 300),
    ("tainan-epb", "臺南市政府環境保護局", "Environmental Protection Bureau", "level1", None, 610),
    ("tainan-econ", "臺南市政府經濟發展局", "Economic Development Bureau", "level1", None, 200),
    # level-2 agencies (二級機關) under a bureau
    ("tainan-funeral", "臺南市殯葬管理所", "Funeral Services Office", "level2", "tainan-civil", 85),
    (
        "tainan-land-office",
        "臺南市臺南地政事務所",
        "Tainan Land Office",
        "level2",
        "tainan-land",
        100,
    ),
    ("tainan-library", "臺南市立圖書館", "Tainan Public Library", "level2", "tainan-culture", 150),
    (
        "tainan-family-edu",
        "臺南市家庭教育中心",
        "Family Education Center",
        "level2",
        "tainan-education",
        25,
    ),
    (
        "tainan-traffic-court",
        "臺南市交通事件裁決所",
        "Traffic Adjudication Office",
        "level2",
        "tainan-transport",
        60,
    ),
    (
        "tainan-health-east",
        "臺南市東區衛生所",
        "East District Health Center",
        "level2",
        "tainan-health",
        28,
    ),
    # a municipal enterprise (市營事業機構)
    (
        "tainan-markets",
        "臺南市市場事業管理處",
        "Municipal Markets Enterprise",
        "enterprise",
        "tainan-econ",
        120,
    ),
    # district offices (區公所), under the Civil Affairs Bureau
    ("tainan-east", "臺南市東區區公所", "East District Office", "district", "tainan-civil", 110),
    ("tainan-north", "臺南市北區區公所", "North District Office", "district", "tainan-civil", 95),
    (
        "tainan-westcentral",
        "臺南市中西區區公所",
        "West Central District Office",
        "district",
        "tainan-civil",
        80,
    ),
    ("tainan-south", "臺南市南區區公所", "South District Office", "district", "tainan-civil", 100),
    (
        "tainan-anping",
        "臺南市安平區區公所",
        "Anping District Office",
        "district",
        "tainan-civil",
        65,
    ),
    (
        "tainan-annan",
        "臺南市安南區區公所",
        "Annan District Office",
        "district",
        "tainan-civil",
        120,
    ),
    (
        "tainan-yongkang",
        "臺南市永康區區公所",
        "Yongkang District Office",
        "district",
        "tainan-civil",
        118,
    ),
    (
        "tainan-xinying",
        "臺南市新營區區公所",
        "Xinying District Office",
        "district",
        "tainan-civil",
        85,
    ),
    ("tainan-madou", "臺南市麻豆區區公所", "Madou District Office", "district", "tainan-civil", 60),
    ("tainan-jiali", "臺南市佳里區區公所", "Jiali District Office", "district", "tainan-civil", 58),
    (
        "tainan-shanhua",
        "臺南市善化區區公所",
        "Shanhua District Office",
        "district",
        "tainan-civil",
        62,
    ),
    (
        "tainan-xinhua",
        "臺南市新化區區公所",
        "Xinhua District Office",
        "district",
        "tainan-civil",
        55,
    ),
    ("tainan-baihe", "臺南市白河區區公所", "Baihe District Office", "district", "tainan-civil", 50),
    ("tainan-qigu", "臺南市七股區區公所", "Qigu District Office", "district", "tainan-civil", 41),
    (
        "tainan-zuozhen",
        "臺南市左鎮區區公所",
        "Zuozhen District Office",
        "district",
        "tainan-civil",
        40,
    ),
    # schools (學校), under the Education Bureau
    (
        "tainan-shengli-es",
        "臺南市東區勝利國民小學",
        "Shengli Elementary School",
        "school",
        "tainan-education",
        72,
    ),
    (
        "tainan-yongfu-es",
        "臺南市中西區永福國民小學",
        "Yongfu Elementary School",
        "school",
        "tainan-education",
        60,
    ),
    (
        "tainan-guangrong-es",
        "臺南市左鎮區光榮國民小學",
        "Guangrong Elementary School",
        "school",
        "tainan-education",
        25,
    ),
    (
        "tainan-dujia-es",
        "臺南市七股區篤加國民小學",
        "Dujia Elementary School",
        "school",
        "tainan-education",
        28,
    ),
    (
        "tainan-neijiao-es",
        "臺南市白河區內角國民小學",
        "Neijiao Elementary School",
        "school",
        "tainan-education",
        39,
    ),
    (
        "tainan-wenzheng-es",
        "臺南市麻豆區文正國民小學",
        "Wenzheng Elementary School",
        "school",
        "tainan-education",
        45,
    ),
    (
        "tainan-jianxing-jhs",
        "臺南市立建興國民中學",
        "Jianxing Junior High School",
        "school",
        "tainan-education",
        90,
    ),
    (
        "tainan-houjia-jhs",
        "臺南市立後甲國民中學",
        "Houjia Junior High School",
        "school",
        "tainan-education",
        120,
    ),
    (
        "tainan-nanning-shs",
        "臺南市立南寧高級中學",
        "Nanning Senior High School",
        "school",
        "tainan-education",
        150,
    ),
    (
        "tainan-yongren-shs",
        "臺南市立永仁高級中學",
        "Yongren Senior High School",
        "school",
        "tainan-education",
        130,
    ),
)

#: The two major systems: code, Chinese name, English name, phase, work-group deadline in
#: days from today (moved to the working day before).
SYSTEMS = (
    ("tn-edoc", "公文線上簽核系統", "Online document approval system", "golive", -60),
    ("tn-attendance", "差勤管理系統", "Attendance management system", "development", 45),
)

#: The document system's rosters that break a rule (TP-ADM-1, TP-SEED-1): administrators and
#: seed users in the role today. Every other agency has two administrators and the seed users
#: :func:`_seed_count` gives it (within its limits).
ROSTER_BREACHES = {
    "tainan-tourism": (2, 1),  # TP-SEED-1: too few (the demo's `staff` fixes it)
    "tainan-qigu": (2, 3),  # TP-SEED-1: too many (headcount 41: at most 2)
    "tainan-works": (1, 3),  # TP-ADM-1: one administrator
}
#: Seed users at the TP-SEED-1 bounds (headcount 39 and 40: at most 2; 100: at most 5).
SEEDS_AT_BOUNDS = {"tainan-neijiao-es": 2, "tainan-zuozhen": 2, "tainan-south": 5}

#: The demo users who are people of the registry (:func:`_demo_people`): the first agency
#: staff, a system administrator of their agency, and its head, the convener: part, title,
#: heads a first-level unit or above.
DEMO_PEOPLE = {"agency_staff": ("admin", "科員", False), "agency_head": ("convener", "局長", True)}

#: Invented people: family and given names combined (never two alike, never a demo user's).
SURNAMES = "陳林黃張李吳劉蔡楊許鄭謝洪郭邱曾廖賴徐周葉蘇莊呂江何蕭羅高潘"
#: two characters each
GIVEN_NAMES = (
    "怡君建宏淑惠俊傑佩珊家豪雅惠志明宜蓁冠宇惠如承翰詩涵宗翰欣怡俊宏美君文彬靜宜信宏"
    "玉婷柏翰佳玲明哲淑貞國華怡萱育誠秀娟嘉偉郁婷振宇麗華哲瑋雅琪世豪婉婷正雄佩君永祥"
)

#: Titles by kind of agency: convener (heads a first-level unit or above), administrators,
#: seed users, work-group member, other staff.
TITLES = {
    "office": (
        "主任秘書",
        ("資訊管理師", "科員"),
        ("科員", "專員", "辦事員", "助理員"),
        "人事室主任",
        "科員",
    ),
    "district": (
        "民政課課長",
        ("課員", "課員"),
        ("課員", "里幹事", "辦事員"),
        "人事管理員",
        "課員",
    ),
    "school": (
        "教務主任",
        ("資訊組長", "幹事"),
        ("教師", "幹事", "教師兼導師"),
        "人事主任",
        "教師",
    ),
}

UNFIT_OVERDUE = "多次未出席種子人員教育訓練，亦未協助同仁操作系統，經資訊局認定不適任。"
UNFIT_RECENT = "已調任非業務相關單位，無法支援機關同仁操作系統，經資訊局認定不適任。"
EXCLUSION_NOTE = (
    "專案簽奉市長核定排除：本處為市營事業機構，沿用自有人事差勤系統。"
    "（示範資料：示範未開立對應之核定案件，故未引用案號。）"
)


def _working_day_before(policy, day: dt.date) -> dt.date:
    """``day``, or the last working day before it (TIME-1)."""
    while not policy.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def _seed_count(policy, headcount: int) -> int:
    """The seed users of a compliant agency: about one per hundred staff, within TP-SEED-1."""
    low, high = policy.seed_user_limits(headcount)
    return min(high, max(low, headcount // 100 + 1))


class _People:
    """Invented people with an employee id, a name and an example.org address each."""

    def __init__(self, session):
        self.session = session
        self.number = 0
        self.added = 0
        self.reserved: set[str] = set()

    def _name(self) -> str:
        while True:
            index = self.number
            self.number += 1
            surname = SURNAMES[index % len(SURNAMES)]
            given = (index // len(SURNAMES) * 11 + index) % (len(GIVEN_NAMES) // 2)
            given = GIVEN_NAMES[2 * given : 2 * given + 2]
            if surname + given not in self.reserved:
                return surname + given

    def add(self, agency_code, title, *, unit_head=False, name=None, username=None):
        name = name or self._name()
        employee_id = f"TN{100001 + self.added:06d}"
        self.added += 1
        person = RolloutPerson(
            employee_id=employee_id,
            name=name,
            agency_code=agency_code,
            title=title,
            email=f"{employee_id.lower()}@example.org",
            username=username,
            unit_head=unit_head,
        )
        self.session.add(person)
        return person


def load(open_case, users) -> None:
    state = get_state()
    policy = state.policy()
    if not policy.applies("TP-SEED-1"):  # the deployment runs no roll-out
        return
    session = state.session
    day = today()
    counted_on = _working_day_before(policy, day - dt.timedelta(days=120))

    agencies = [
        RolloutAgency(code=code, kind=kind, headcount=headcount, headcount_on=counted_on)
        for code, kind, headcount in HOST_AGENCIES
    ]
    agencies += [
        RolloutAgency(
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            city="tainan",
            kind=kind,
            parent_code=parent,
            headcount=headcount,
            headcount_on=counted_on,
        )
        for code, name_zh, name_en, kind, parent, headcount in AGENCIES
    ]
    session.add_all(agencies)

    edoc, attendance = systems = [
        MajorSystem(
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            phase=phase,
            work_group_due=_working_day_before(policy, day + dt.timedelta(days=days)),
        )
        for code, name_zh, name_en, phase, days in SYSTEMS
    ]
    session.add_all(systems)
    session.flush()  # the systems' ids, for the assignments and filings
    for agency in agencies:
        edoc.scope.append(SystemScope(agency_code=agency.code))
    excluded_on = _working_day_before(policy, day - dt.timedelta(days=90))
    for agency in agencies:
        if agency.kind == "enterprise":  # TP-WG-1: out of scope by a mayor-approved case
            attendance.scope.append(
                SystemScope(
                    agency_code=agency.code,
                    excluded_case_id=None,
                    excluded_on=excluded_on,
                    excluded_note=EXCLUSION_NOTE,
                )
            )
        elif agency.kind in ("level1", "level2"):
            attendance.scope.append(SystemScope(agency_code=agency.code))

    people = _People(session)
    demo_people = _demo_people(people, users, {agency.code for agency in agencies})
    rosters = {
        agency.code: _staff(people, policy, agency, demo_people.get(agency.code, {}))
        for agency in agencies
    }
    _document_system(session, policy, day, edoc, agencies, rosters)
    in_scope = [s.agency_code for s in attendance.scope if s.excluded_on is None]
    _attendance_system(session, policy, day, attendance, in_scope, rosters)
    session.flush()


def _demo_people(people: _People, users, codes) -> dict[str, dict[str, RolloutPerson]]:
    """The demo users who are people of the registry, by agency and part: the first agency
    staff (:func:`appgov_plugin.demo.agency_staff`) and the head of the same agency, with
    the name the host shows them by where it has one (``display_name`` up to its
    parenthesis), linked by username."""
    shown = {
        u.username: str(getattr(u, "display_name", None) or "").split("（")[0].strip()
        for u in users
    }
    people.reserved.update(shown.values())  # no invented person shares a demo user's name
    staff = agency_staff(users)
    if staff is None or staff.agency_code not in codes:
        return {}
    found: dict[str, RolloutPerson] = {}
    for user in users:
        if user.agency_code != staff.agency_code or user.role not in DEMO_PEOPLE:
            continue
        part, title, unit_head = DEMO_PEOPLE[user.role]
        if part in found or (user.role == "agency_staff" and user is not staff):
            continue
        name = shown[user.username] or None
        found[part] = people.add(
            user.agency_code, title, unit_head=unit_head, name=name, username=user.username
        )
    return {staff.agency_code: found}


def _staff(people: _People, policy, agency, demo: dict) -> dict[str, list[RolloutPerson]]:
    """The agency's people by the part they play: ``convener``, ``admin`` (two), ``seed``,
    ``member`` and ``other`` (staff in no role, whom a roster change may name); ``demo``:
    the demo users among them (:func:`_demo_people`)."""
    kind = {"district": "district", "school": "school"}.get(agency.kind, "office")
    convener_title, admin_titles, seed_titles, member_title, other_title = TITLES[kind]
    code = agency.code
    staff = {"convener": [demo.get("convener") or people.add(code, convener_title, unit_head=True)]}
    admins = [demo["admin"]] if "admin" in demo else []
    while len(admins) < 2:
        admins.append(people.add(code, admin_titles[len(admins)]))
    staff["admin"] = admins
    seeds = max(
        ROSTER_BREACHES.get(code, (2, 0))[1],
        SEEDS_AT_BOUNDS.get(code, 0),
        _seed_count(policy, agency.headcount),
    )
    if code == "tainan-civil":
        seeds += 1  # the replacement of the seed user who left
    staff["seed"] = [people.add(code, seed_titles[n % len(seed_titles)]) for n in range(seeds)]
    staff["member"] = [people.add(code, member_title)]
    staff["other"] = [people.add(code, other_title) for _ in range(2 if demo else 0)]
    return staff


def _assign(session, policy, system, code, persons: Iterable, role, starts_on, *, late=False):
    """Each of ``persons`` in ``role`` from ``starts_on``, reported the next working day, or,
    with ``late``, two working days after the ``roster_change`` deadline (TP-SEED-2)."""
    due_on = policy.deadline("roster_change", starts_on)  # rule TP-WG-2, TP-SEED-2
    reported_on = (
        policy.add_working_days(due_on, 2) if late else policy.add_working_days(starts_on, 1)
    )
    rows = []
    for person in persons:
        row = Assignment(
            system_id=system.id,
            agency_code=code,
            person=person,
            role=role,
            starts_on=starts_on,
            reported_on=reported_on,
            due_on=due_on,
            created_by="demo",
        )
        session.add(row)
        rows.append(row)
    return rows


def _document_system(session, policy, day, system, agencies, rosters) -> None:
    """公文線上簽核系統 at go-live: every agency nominated about a hundred days ago and filed
    its work group before the deadline, but for the breaches of the module's docstring."""
    due = system.work_group_due
    for index, agency in enumerate(agencies):
        code, staff = agency.code, rosters[agency.code]
        starts_on = _working_day_before(policy, day - dt.timedelta(days=100 + index % 10))
        admins, seeds = ROSTER_BREACHES.get(code, (2, None))
        if seeds is None:
            seeds = SEEDS_AT_BOUNDS.get(code) or _seed_count(policy, agency.headcount)

        def assign(persons, role, on=starts_on, code=code, **kwargs):
            return _assign(session, policy, system, code, persons, role, on, **kwargs)

        assign(staff["convener"], "convener")
        assign(staff["member"], "member")
        assign(staff["admin"][:admins], "admin")
        if code == "tainan-civil":
            # a seed user left the agency 25 days ago: her role ended that day, and the
            # replacement who started then was reported late (rule TP-SEED-2)
            kept, leaver, replacement = staff["seed"][:-2], staff["seed"][-2], staff["seed"][-1]
            left_on = _working_day_before(policy, day - dt.timedelta(days=25))
            leaver.left_on = left_on
            assign(kept, "seed")
            assign([leaver], "seed")[0].ends_on = left_on
            assign([replacement], "seed", on=left_on, late=True)
        else:
            assign(staff["seed"][:seeds], "seed")
        if code == "tainan-baihe":
            continue  # rule TP-WG-1: no work group filed by the deadline
        if code == "tainan-xinhua":  # rule TP-WG-1: filed a week after the deadline
            filed_on = policy.add_working_days(due, 5)
        else:
            filed_on = _working_day_before(policy, due - dt.timedelta(days=5 + index % 20))
        session.add(WorkGroupFiling(system_id=system.id, agency_code=code, filed_on=filed_on))

    # rule TP-SEED-3: the replacement 10 working days after the request
    overdue = _working_day_before(policy, day - dt.timedelta(days=42))
    recent = _working_day_before(policy, day - dt.timedelta(days=1))
    for code, reason, requested_on in (
        ("tainan-social", UNFIT_OVERDUE, overdue),
        ("tainan-health", UNFIT_RECENT, recent),
    ):
        session.add(
            UnfitFinding(
                person=rosters[code]["seed"][0],
                system=system,
                agency_code=code,
                reason=reason,
                found_by="itdept",
                requested_on=requested_on,
                due_on=policy.deadline("replacement", requested_on),
            )
        )


def _attendance_system(session, policy, day, system, in_scope, rosters) -> None:
    """差勤管理系統 in development: each agency in scope nominated two administrators and two
    seed users three weeks ago; half filed their work group already (the deadline is ahead),
    the Labor Affairs Bureau with a member as convener who heads no unit (rule TP-WG-1)."""
    starts_on = _working_day_before(policy, day - dt.timedelta(days=21))
    filed_on = _working_day_before(policy, day - dt.timedelta(days=7))
    for index, code in enumerate(in_scope):
        staff = rosters[code]
        seeds = [p for p in staff["seed"] if p.left_on is None][:2]
        convener = staff["member"] if code == "tainan-labor" else staff["convener"]
        for persons, role in (
            (convener, "convener"),
            (staff["admin"], "admin"),
            (seeds, "seed"),
        ):
            _assign(session, policy, system, code, persons, role, starts_on)
        if index % 2 == 0 or code == "tainan-labor":
            session.add(WorkGroupFiling(system_id=system.id, agency_code=code, filed_on=filed_on))
