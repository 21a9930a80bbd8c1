"""The JSON endpoint the browser script asks for a computed value (``computed`` fields).

``register_views(blueprint)`` adds ``GET <prefix>/forms/check/<name>?<param>=<value>...``
(endpoint ``<blueprint>.forms_check``) answering ``{"value": ...}`` for the number-valued
policy checks of :data:`appgov_plugin.forms.conditions.CHECKS` (``download_target``) and the
yes/no ones (``rating_fails`` ...). An unknown check is 404, an argument that cannot be read
or a needed one missing is 400 ``{"error": ..., "arg": <param>}``. The value comes from this
deployment's policy facade, exactly as the server computes it when the form is sent.
"""

from __future__ import annotations

from flask import jsonify, request
from flask_login import login_required

from appgov_plugin.forms.conditions import CHECKS


@login_required  # the forms it serves are filed by logged-in officials only
def check_value(name: str):
    """The view: one policy check on the query's arguments."""
    check = CHECKS.get(name)
    if check is None:
        response = jsonify(error=f"unknown check {name!r}; known: {', '.join(CHECKS)}")
        return response, 404
    unknown = sorted(set(request.args) - set(check.params))
    if unknown:
        return jsonify(error=f"unknown argument {unknown[0]!r}", arg=unknown[0]), 400
    args = {param: request.args.get(param) for param in check.params}
    try:
        values = check.read(args)
    except LookupError as exc:
        param = exc.args[0]
        return jsonify(error=f"argument {param!r} is missing", arg=param), 400
    except ValueError as exc:
        param = exc.args[0]
        return jsonify(error=f"argument {param!r} cannot be read", arg=param), 400
    from appgov_plugin.state import get_state

    try:
        value = check.call(get_state().policy(), **values)
    except LookupError as exc:
        param = exc.args[0]
        return jsonify(error=f"argument {param!r} is missing", arg=param), 400
    except ValueError as exc:  # e.g. a new version lower than the previous one
        return jsonify(error=str(exc), arg=None), 400
    response = jsonify(value=value)
    response.headers["Cache-Control"] = "no-store"
    return response


def register_views(blueprint) -> None:
    """Add the check endpoint to appgov's blueprint (endpoint ``forms_check``)."""
    blueprint.add_url_rule(
        "/forms/check/<name>", endpoint="forms_check", view_func=check_value, methods=["GET"]
    )


__all__ = ["check_value", "register_views"]
