"""The case-host contract: hooks a host Flask case-management app calls on its plug-ins.

The host owns a pluggy ``PluginManager`` for the project ``"casehost"`` (see
:func:`appgov_plugin.host.manager.get_host_plugin_manager`) and discovers plug-ins through
the setuptools entry-point group ``casehost``. Contribution hooks receive a ``register``
callback and return nothing; decision hooks are ``firstresult``.

Call order at start-up (what :func:`appgov_plugin.host.manager.install_plugins` does):
``casehost_translation_dirs`` (before the host sets up Flask-Babel) -> ``casehost_init_app``
-> ``casehost_case_types`` ->
``casehost_blueprints`` -> ``casehost_nav_links`` -> ``casehost_admin_views`` ->
``casehost_cli_commands``.
``casehost_upgrade_schema`` and ``casehost_demo_data`` run when the host migrates or seeds
its database; the two transition hooks run on every case transition.
``casehost_case_deadlines`` runs whenever the host lists or shows cases (the inbox, a case
page): plug-ins answer the due dates of the cases they know.
``casehost_agencies``, ``casehost_case_for_reader``, ``casehost_case_history``,
``casehost_users`` and ``casehost_open_case`` go the other way: the host implements them and
plug-ins ask them (through the plugin manager the host publishes as
``app.extensions["casehost"].pm``) whenever they need the host's agencies, a case the current
user may read, the steps a case took (who decided it, when), the people who act for an
agency, or a new case the plug-in opens itself (a plan the authority asks for, a case a rule
demands).

Every hook here is documented with an example in ``docs/host_hooks.md``.
"""

import pluggy

PROJECT = "casehost"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def casehost_init_app(app, db):
    """Prepare the plug-in for ``app`` before any contribution is collected.

    :param app: the host's :class:`flask.Flask` application.
    :param db: the host's ``flask_sqlalchemy.SQLAlchemy`` instance; plug-in tables use its
        engine and session but keep their own metadata.
    :returns: nothing. Called once per application, before the contribution hooks.
    """


@hookspec
def casehost_translation_dirs(app, register):
    """Contribute gettext catalogs.

    :param register: ``register(directory, domain)``; ``directory`` holds
        ``<locale>/LC_MESSAGES/<domain>.mo``. The host adds it to its Flask-Babel set-up.
    :returns: nothing.
    """


@hookspec
def casehost_case_types(app, register):
    """Contribute case types.

    :param register: ``register(case_type)`` with a
        :class:`appgov_plugin.host.contract.CaseType` (key, label, form, workflow with the
        role allowed for each transition). A key already registered by any plug-in is a
        :class:`~appgov_plugin.host.contract.ContractError` naming both plug-ins.
    :returns: nothing. Called once at start-up, after ``casehost_init_app``.
    """


@hookspec
def casehost_blueprints(app, register):
    """Contribute Flask blueprints.

    :param register: ``register(blueprint, url_prefix=None, csrf_exempt=False)``; the host
        calls ``app.register_blueprint`` with it. ``csrf_exempt=True`` marks an API that
        authenticates by a key, not by the session cookie (appgov's Open311 intake): the host
        exempts that blueprint, and only it, from its CSRF protection (Flask-WTF's
        ``CSRFProtect`` in ``app.extensions["csrf"]``: ``csrf.exempt(blueprint)``;
        :func:`appgov_plugin.host.manager.install_plugins` does it).
    :returns: nothing.
    """


@hookspec
def casehost_nav_links(app, register):
    """Contribute links to the host's main navigation.

    :param register: ``register(label, endpoint, badge=None, visible=None,
        badge_label=None)``; the host shows the link to logged-in users and builds it with
        ``url_for(endpoint)``. ``badge``, when given, is a zero-argument callable the host asks
        on each page for the current user: a number to show beside the link (e.g. unread
        messages), ``0`` or ``None`` for none. ``visible``, when given, is ``visible(user) ->
        bool``: the host shows the link only to the logged-in users it answers true for (a
        link to a page the user's role may not open is left out). ``badge_label``, when given,
        is the badge's words for a screen reader: a text (lazy or not) holding ``%(num)d``,
        which the host formats as ``badge_label % {"num": count}`` (appgov's
        :class:`~appgov_plugin.i18n.lazy_plural` picks the plural form there); without it the
        host says its own words ("3 new"). Registrations with the first three arguments only
        work as before. The host keeps them as
        :class:`~appgov_plugin.host.manager.NavLink`.
    :returns: nothing.
    """


@hookspec
def casehost_admin_views(app, db, register):
    """Contribute Flask-Admin views to the host's single ``Admin`` instance.

    :param db: the host's Flask-SQLAlchemy instance, for ``ModelView(Model, db)``.
    :param register: ``register(view)``; every view must carry a unique ``endpoint``
        (appgov uses the ``appgov_`` prefix).
    :returns: nothing. The host protects all admin views with its own access check.
    """


@hookspec
def casehost_cli_commands(app, register):
    """Contribute ``click`` commands or groups to the host's ``flask`` command.

    :param register: ``register(command)``; appgov registers the group ``appgov``.
    :returns: nothing.
    """


@hookspec
def casehost_upgrade_schema(app, db):
    """Bring the plug-in's own tables up to date.

    Called by the host after it has upgraded its own schema. Each plug-in keeps its own
    migration history (appgov: Alembic with the version table ``appgov_alembic_version``)
    and must not touch the host's tables.

    :returns: nothing. Raise to abort the host's start-up with a clear message.
    """


@hookspec
def casehost_demo_data(app, db, open_case, users):
    """Add demonstration records to an empty database.

    :param users: the demo users the host created (:class:`UserLike`, one or more per role),
        so plug-ins pick owners and agencies that exist.
    :param open_case: ``open_case(type_key, agency_code, owner_username, data,
        transitions=(), actor_usernames=())`` creates a case through the host and takes the
        named transitions in order, each by the user at the same position of
        ``actor_usernames`` (or, when that is empty, by a user whose role and agency allow
        it), with every check and hook a real transition gets; it returns the case.
    :returns: nothing, or lines (``str``) the host prints beside the demo logins at the first
        start (appgov: the demo Open311 API keys). Only called when the host seeds a new,
        empty database.
    """


@hookspec(firstresult=True)
def casehost_before_transition(case, transition, user, comment):
    """Veto a case transition before the host applies it.

    :param case: the case (:class:`~appgov_plugin.host.contract.CaseLike`), still in the
        source state.
    :param transition: the :class:`~appgov_plugin.host.contract.Transition` requested.
    :param user: the acting user (:class:`~appgov_plugin.host.contract.UserLike`).
    :param comment: the comment typed with the request (may be empty).
    :returns: ``None`` to allow, or a message (str) explaining the veto, which the host
        shows to the user. The first non-``None`` answer wins; nothing is written.
    """


@hookspec
def casehost_after_transition(case, transition, user, comment):
    """React to a transition the host has applied, inside the same database transaction.

    Raising aborts the transition: the host rolls back and writes nothing.

    :returns: nothing.
    """


@hookspec(firstresult=True)
def casehost_agencies(app):
    """The host's agencies (機關): what plug-ins offer in their forms and check codes against.

    Implemented by the host (a plug-in may answer for a host that does not); plug-ins call it
    on the host's plugin manager, ``app.extensions["casehost"].pm``, inside a request or an
    application context, whenever they need the list (it is not cached across requests).

    :returns: a list of agencies, each an object or mapping with ``code``, ``name_zh`` and
        ``name_en`` (Chinese and English names) and ``city`` (a key such as ``"tainan"``:
        city-wide roles see the records of their own agency's city; without it they see
        their own agency's only), or a tuple ``(code, name_zh, name_en, city)`` or
        ``(code, name_zh, name_en)``; ``None`` when the host keeps no agency list. The
        first non-``None`` answer wins.
    """


@hookspec(firstresult=True)
def casehost_case_for_reader(app, case_id, user):
    """The case ``case_id`` if ``user`` may read it, else ``None``.

    Implemented by the host; plug-ins ask it on ``app.extensions["casehost"].pm`` before they
    show anything of a case (appgov's file route does, before it sends a file uploaded with
    the case). The host applies its own reading rule, the one of its case pages.

    :param case_id: the case's id as the plug-in got it, possibly from a URL (text or a
        number; anything that is no case id of the host answers ``None``).
    :param user: the user asking (:class:`~appgov_plugin.host.contract.UserLike`), usually
        ``flask_login.current_user``; an anonymous user reads no case.
    :returns: the case (:class:`~appgov_plugin.host.contract.CaseLike`) when it exists and
        ``user`` may read its answers, else ``None``: a missing case and a case closed to
        the user answer alike, so a guessed id tells nothing. The first non-``None`` answer
        wins.
    """


@hookspec(firstresult=True)
def casehost_case_history(app, case):
    """The steps ``case`` took, oldest first: what a plug-in needs to issue a document about
    a decision (who decided, when, with what comment: appgov's decision letters).

    Implemented by the host; plug-ins ask it on ``app.extensions["casehost"].pm`` for a case
    ``casehost_case_for_reader`` gave them (the host need not check the reader again).

    :param case: the case (:class:`~appgov_plugin.host.contract.CaseLike`).
    :returns: a list of :class:`~appgov_plugin.host.contract.CaseStep` (the host's own steps
        -- opened, edited, withdrawn, corrected -- included), ``[]`` for a case without
        steps; ``None`` when the host keeps no history. The first non-``None`` answer wins.
    """


@hookspec
def casehost_case_deadlines(app, case_ids):
    """The due dates of cases waiting for a step, for the host to show (inbox, case page).

    :param case_ids: the ids of the cases the host is about to show (one call per page,
        whatever their number: answer with one query).
    :returns: ``{case_id: CaseDeadline}`` (:class:`~appgov_plugin.host.contract.CaseDeadline`:
        the due date, what is due, whether it is overdue) for the cases the plug-in keeps a
        deadline of; cases it does not know are left out. The host merges every plug-in's
        answer.
    """


@hookspec(firstresult=True)
def casehost_users(app, roles, agency_code):
    """The active people who act in one of ``roles`` for agency ``agency_code``.

    Implemented by the host; plug-ins ask it to address a notification ("the reviewers of
    this agency's city", "the staff of this agency"). An agency role (``agency_staff``,
    ``agency_head``) acts for its own agency; a city-wide role for every agency of its city;
    the administrator for none.

    :param roles: role names of :data:`~appgov_plugin.host.contract.STANDARD_ROLES`.
    :returns: a list of objects with ``username``, ``display_name``, ``email`` (``None`` when
        unknown) and ``locale`` (the person's language, ``None``: the host's default); the
        first non-``None`` answer wins.
    """


@hookspec(firstresult=True)
def casehost_open_case(app, type_key, agency_code, data, owner_username, comment):
    """Open a case of ``type_key`` for agency ``agency_code`` through the host, as if its
    owner had filed it: the workflow's initial state, an opening history row carrying
    ``comment`` (why it was opened, e.g. "asked for by the reviewer, KH-KPI-3").

    Implemented by the host; runs inside the caller's transaction (the host commits nothing).
    The host stores the case type's current form with it (``CaseType.current_form()``).

    :param owner_username: who owns the case (the agency's contact for it); when ``None``,
        unknown or inactive, the host picks an active user of the agency in the case type's
        ``creator_role``.
    :returns: the new case (:class:`~appgov_plugin.host.contract.CaseLike`); raise
        :class:`~appgov_plugin.host.contract.ContractError` when the agency has nobody who
        could own it.
    """
