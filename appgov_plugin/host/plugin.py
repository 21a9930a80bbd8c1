"""appgov's implementation of the case-host contract (entry point ``casehost: appgov``).

It collects what each capability package contributes: case types (``case_types.py``),
routes on the shared blueprint (``views.py``), Flask-Admin views (``admin.py``),
``flask appgov`` commands (``cli.py``), demo data (``demo.py``) and the reactions to case
transitions (``workflows.py``).
"""

from __future__ import annotations

from .. import access, case_documents, cli, migrations, safe_input, uploads, web
from ..apps import admin as apps_admin
from ..apps import case_types as apps_case_types
from ..apps import decision_letter as apps_decision_letter
from ..apps import demo as apps_demo
from ..apps import views as apps_views
from ..apps import workflows as apps_workflows
from ..evaluation import access as evaluation_access
from ..evaluation import admin_figures as evaluation_admin_figures
from ..evaluation import admin_grades as evaluation_admin_grades
from ..evaluation import admin_runs as evaluation_admin_runs
from ..evaluation import cli as evaluation_cli
from ..evaluation import dashboard_views as evaluation_dashboard_views
from ..evaluation import demo as evaluation_demo
from ..evaluation import demo_grades as evaluation_demo_grades
from ..evaluation import figures_views as evaluation_figures_views
from ..evaluation import grade_case_types as evaluation_grade_case_types
from ..evaluation import grades_views as evaluation_grades_views
from ..evaluation import results_views as evaluation_results_views
from ..evaluation import review_case_types as evaluation_review_case_types
from ..evaluation import run_cli as evaluation_run_cli
from ..evaluation import views as evaluation_views
from ..forms import admin as forms_admin
from ..forms import cli as forms_cli
from ..forms import store as form_store
from ..forms import views as forms_views
from ..i18n import DOMAIN, _l, lazy_plural, translations_dir
from ..lifecycle import actions as lifecycle_actions
from ..lifecycle import case_types as lifecycle_case_types
from ..lifecycle import cli as lifecycle_cli
from ..lifecycle import deadlines as lifecycle_deadlines
from ..lifecycle import demo as lifecycle_demo
from ..lifecycle import exports as lifecycle_exports
from ..lifecycle import kpi_reply as lifecycle_kpi_reply
from ..lifecycle import steps as lifecycle_steps
from ..lifecycle import workflows as lifecycle_workflows
from ..lifecycle import year_results as lifecycle_year_results
from ..mailbox import admin as mailbox_admin
from ..mailbox import admin_outbox as mailbox_admin_outbox
from ..mailbox import admin_personal_data as mailbox_admin_personal_data
from ..mailbox import admin_reveals as mailbox_admin_reveals
from ..mailbox import admin_reviews as mailbox_admin_reviews
from ..mailbox import cli as mailbox_cli
from ..mailbox import demo as mailbox_demo
from ..mailbox import demo_feedback as mailbox_demo_feedback
from ..mailbox import demo_reviews as mailbox_demo_reviews
from ..mailbox import open311 as mailbox_open311
from ..mailbox import reveal_requests as mailbox_reveal_requests
from ..mailbox import review_pages as mailbox_review_pages
from ..mailbox import rights as mailbox_rights
from ..mailbox import views as mailbox_views
from ..notifications import cli as notifications_cli
from ..notifications import views as notifications_views
from ..rollout import admin as rollout_admin
from ..rollout import admin_exports as rollout_admin_exports
from ..rollout import case_types as rollout_case_types
from ..rollout import cli as rollout_cli
from ..rollout import demo as rollout_demo
from ..rollout import demo_registry as rollout_demo_registry
from ..rollout import meeting_views as rollout_meeting_views
from ..rollout import roster_views as rollout_roster_views
from ..rollout import support as rollout_support
from ..rollout import support_case_types as rollout_support_case_types
from ..rollout import support_demo as rollout_support_demo
from ..rollout import support_views as rollout_support_views
from ..rollout import views as rollout_views
from ..rollout import workflows as rollout_workflows
from ..rulebook import admin as rulebook_admin
from ..rulebook import cli as rulebook_cli
from ..rulebook import views as rulebook_views
from ..state import setup_state
from ..training import access as training_access
from ..training import admin as training_admin
from ..training import case_types as training_case_types
from ..training import cli as training_cli
from ..training import demo as training_demo
from ..training import hours_views as training_hours_views
from ..training import leave_workflow as training_leave_workflow
from ..training import results_views as training_results_views
from ..training import rollcall_views as training_rollcall_views
from ..training import views as training_views
from ..training import workflows as training_workflows
from .hookspecs import hookimpl

#: Importing these adds their routes to the shared blueprint and their commands to
#: ``flask appgov``.
ROUTES = (
    apps_views,
    rulebook_views,
    evaluation_views,
    evaluation_grades_views,
    evaluation_figures_views,
    evaluation_results_views,
    evaluation_dashboard_views,
    lifecycle_exports,
    notifications_views,
    lifecycle_actions,
    lifecycle_year_results,
    mailbox_views,
    mailbox_reveal_requests,
    mailbox_review_pages,
    rollout_views,
    rollout_roster_views,
    rollout_meeting_views,
    rollout_support_views,
    training_views,
    training_results_views,
    training_hours_views,
    training_rollcall_views,
    # the documents of decided cases as PDF (issue 16), and what each case type issues
    case_documents,
    apps_decision_letter,
    lifecycle_kpi_reply,
)
# the forms' live checks (a computed download target, KH-KPI-1) answer on the same blueprint
forms_views.register_views(web.blueprint)
COMMANDS = (
    rulebook_cli,
    forms_cli,
    notifications_cli,
    lifecycle_cli,
    mailbox_cli,
    rollout_cli,
    training_cli,
    evaluation_cli,
    evaluation_run_cli,
)
#: Each offers ``admin_views(db)``, ``case_types()``, ``load(open_case, users)`` (demo data),
#: ``veto`` / ``after`` (transitions).
ADMIN = (
    apps_admin,
    rulebook_admin,
    forms_admin,
    mailbox_admin,
    mailbox_admin_outbox,
    mailbox_admin_reveals,
    mailbox_admin_personal_data,
    mailbox_admin_reviews,
    rollout_admin,
    rollout_admin_exports,
    training_admin,
    evaluation_admin_grades,
    evaluation_admin_figures,
    evaluation_admin_runs,
)
CASE_TYPES = (
    apps_case_types,
    lifecycle_case_types,
    rollout_case_types,
    rollout_support_case_types,
    training_case_types,
    evaluation_grade_case_types,
    evaluation_review_case_types,
)
# the mailbox's demo (apps linked, API keys) before the demo feedback sent with them
DEMO = (
    apps_demo,
    lifecycle_demo,
    evaluation_demo,  # last year's figures of the lifecycle demo's apps
    rollout_demo_registry,
    rollout_demo,  # its reports name the registry's people
    rollout_support_demo,
    training_demo,
    evaluation_demo_grades,  # the registry's agencies and a system (rollout demo)
    mailbox_demo,
    mailbox_demo_feedback,
    mailbox_demo_reviews,
)
WORKFLOWS = (
    apps_workflows,
    lifecycle_workflows,
    evaluation_review_case_types,  # TN-PERF-1/3: the review report's link and notices
    rollout_workflows,
    rollout_support,
    training_workflows,
    training_leave_workflow,
)


@hookimpl
def casehost_translation_dirs(app, register):
    register(translations_dir(), DOMAIN)


@hookimpl
def casehost_init_app(app, db):
    setup_state(app, db)


@hookimpl
def casehost_case_types(app, register):
    # inside the app's context: a city's own steps come from its hook modules
    # (appgov_workflow_steps, lifecycle/steps.py)
    with app.app_context():
        for module in CASE_TYPES:
            for case_type in module.case_types():
                register(case_type)


@hookimpl
def casehost_blueprints(app, register):
    register(web.blueprint, url_prefix=app.config["APPGOV_URL_PREFIX"])
    # the answers' uploaded files, served to the case's readers only
    register(uploads.blueprint, url_prefix=app.config["APPGOV_URL_PREFIX"])
    # control characters refused in appgov's pages (a no-op where the host guards them all)
    safe_input.install(app, blueprints=[web.blueprint.name, uploads.blueprint.name])
    # the Open311 intake: an API authenticated by the app's key, so no CSRF token
    # (docs/open311.md); control characters refused in its parameters too
    register(
        mailbox_open311.blueprint, url_prefix=app.config["APPGOV_OPEN311_PREFIX"], csrf_exempt=True
    )
    safe_input.install(app, blueprints=[mailbox_open311.blueprint.name])


@hookimpl
def casehost_nav_links(app, register):
    register(_l("App governance"), "appgov.index")
    register(_l("KPI evaluation"), "appgov.kpi")
    register(_l("Messages"), "appgov.messages", badge=notifications_views.unread_count)
    # the open feedback of the reader's own agency (agency roles; appgov_plugin/mailbox/views.py),
    # shown only to the roles that read it (the others' page is a 403)
    register(
        _l("Citizens' feedback"),
        "appgov.feedback_list",
        badge=mailbox_views.open_feedback_count,
        visible=mailbox_views.reads_feedback,
        badge_label=lazy_plural("%(num)d open item", "%(num)d open items"),
    )
    # a citizen's personal-data requests (find, export, erase): the mailbox's officers
    register(
        mailbox_rights.TITLE, "appgov.personal_data_requests", visible=mailbox_rights.handles_rights
    )
    # the roll-out compliance dashboard: the IT department and the administrator only
    register(
        _l("Roll-out compliance"), "appgov.rollout_dashboard", visible=rollout_views.reads_dashboard
    )
    # the roll-out's meetings (TP-WG-3/4): the same readers; an agency reaches its own from
    # its roll-out page
    register(
        _l("Roll-out meetings"), "appgov.rollout_meetings", visible=rollout_views.reads_dashboard
    )
    # the support tickets' escalation rate (TP-SUP-1): IT department, administrator, agencies
    register(_l("Support"), "appgov.rollout_support", visible=rollout_support_views.reads_support)
    # the training records (TP-TRN-*, TN-LEARN-1): the IT department, the administrator
    # and agencies
    register(_l("Training"), "appgov.training_courses", visible=training_access.reads_training)
    # the roll-out grades (TP-GRADE-0..2): where the deployment applies them, the evaluation's
    # readers (the ranking is published: the agencies read it too)
    register(
        _l("Roll-out grades"),
        "appgov.evaluation_grades",
        visible=evaluation_grades_views.reads_grades,
    )
    # the yearly evaluation's results (KH-KPI-1..4, TN-PERF-1): the evaluation's readers
    register(
        _l("Performance evaluation"),
        "appgov.evaluation_home",
        visible=evaluation_access.reads_evaluation,
    )


@hookimpl
def casehost_admin_views(app, db, register):
    for module in ADMIN:
        for view in module.admin_views(db):
            register(view)
            safe_input.install(app, blueprints=[view.endpoint])


@hookimpl
def casehost_cli_commands(app, register):
    register(cli.appgov_group)


@hookimpl
def casehost_upgrade_schema(app, db):
    migrations.upgrade(db.engine)
    # the shipped form files are version 1 of each form: recorded now, before any request
    # (or the demo data) holds a write transaction
    form_store.record_shipped(db.engine)


@hookimpl
def casehost_demo_data(app, db, open_case, users):
    # the demo passes through the review steps a city added (lifecycle/steps.py)
    workflows = {ct.key: ct.workflow for module in CASE_TYPES for ct in module.case_types()}
    open_case = lifecycle_steps.demo_open_case(open_case, users, workflows)
    lines = []
    for module in DEMO:
        lines.extend(module.load(open_case, users) or ())
    # printed by the host beside the demo logins (the demo's Open311 API keys)
    return lines or None


@hookimpl
def casehost_before_transition(case, transition, user, comment):
    for module in WORKFLOWS:
        reason = module.veto(case, transition, user, comment)
        if reason:
            return reason
    return None


@hookimpl
def casehost_after_transition(case, transition, user, comment):
    for module in WORKFLOWS:
        module.after(case, transition, user, comment)


@hookimpl
def casehost_case_deadlines(app, case_ids):
    return lifecycle_deadlines.case_deadlines(case_ids)


@hookimpl(trylast=True)
def casehost_agencies(app):
    # AppGov(app, agencies=...): an intranet without its own casehost_agencies names them here
    return access.given_agencies(app)


@hookimpl(trylast=True)
def casehost_case_for_reader(app, case_id, user):
    # the host answers (its reading rule); a host that does not lets nobody read a case here
    return None


@hookimpl(trylast=True)
def casehost_case_history(app, case):
    # the host answers (its history); a host that does not: no decision to issue a letter of
    return None


@hookimpl(trylast=True)
def casehost_users(app, roles, agency_code):
    # the host answers (its users); a host that does not gets in-app messages for nobody
    return []


@hookimpl(trylast=True)
def casehost_open_case(app, type_key, agency_code, data, owner_username, comment):
    # the host answers; without it appgov cannot open the cases the rules demand, and says so
    return None
