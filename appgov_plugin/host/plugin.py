"""appgov's implementation of the case-host contract (entry point ``casehost: appgov``)."""

from __future__ import annotations

from .. import admin, case_types, cli, demo, migrations, safe_input, web, workflows
from ..i18n import DOMAIN, _l, translations_dir
from ..state import get_state, setup_state
from .hookspecs import hookimpl


@hookimpl
def casehost_translation_dirs(app, register):
    register(translations_dir(), DOMAIN)


@hookimpl
def casehost_init_app(app, db):
    setup_state(app, db)


@hookimpl
def casehost_case_types(app, register):
    for case_type in case_types.case_types():
        register(case_type)


@hookimpl
def casehost_blueprints(app, register):
    register(web.blueprint, url_prefix=app.config["APPGOV_URL_PREFIX"])
    # control characters refused in appgov's pages (a no-op where the host guards them all)
    safe_input.install(app, blueprints=[web.blueprint.name])


@hookimpl
def casehost_nav_links(app, register):
    register(_l("App governance"), "appgov.index")
    register(_l("KPI evaluation"), "appgov.kpi")


@hookimpl
def casehost_admin_views(app, db, register):
    for view in admin.views(db):
        register(view)
        safe_input.install(app, blueprints=[view.endpoint])


@hookimpl
def casehost_cli_commands(app, register):
    register(cli.appgov_group)


@hookimpl
def casehost_upgrade_schema(app, db):
    migrations.upgrade(db.engine)


@hookimpl
def casehost_demo_data(app, db, open_case, users):
    demo.load(open_case, users)


@hookimpl
def casehost_before_transition(case, transition, user, comment):
    return workflows.veto(case, transition, user)


@hookimpl
def casehost_after_transition(case, transition, user, comment):
    workflows.after(case, transition)


@hookimpl(trylast=True)
def casehost_agencies(app):
    # AppGov(app, agencies=...): an intranet without its own casehost_agencies names them here
    source = get_state(app).agency_source
    return source() if callable(source) else source
