"""Benchmark: the declarative form engine on the shipped definitions (forms/*.toml).

Timed in the same run (median of ``--rounds``), per shipped definition:

- ``check``    — parse and check the TOML (``builder.parse``), what ``load`` does once;
- ``form_for`` — the form a deployment asks, on a cached class (per request);
- ``render``   — every field rendered, in zh_Hant_TW and in en (one class serves both);
- ``validate`` — an empty submission validated (conditions, policy checks, form checks).

Usage: ``python benchmarks/forms.py [--rounds 5] [--calls 50] [--profile kaohsiung]``
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from importlib import resources

from flask import Flask
from flask_babel import Babel, force_locale
from werkzeug.datastructures import MultiDict

import appgov_plugin
from appgov_plugin.forms import builder


def timed(function, calls: int, rounds: int) -> float:
    """Median milliseconds per call."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        samples.append((time.perf_counter() - start) * 1000 / calls)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--profile", default="kaohsiung")
    args = parser.parse_args()
    policy = appgov_plugin.get_policy(args.profile)
    app = Flask(__name__)
    app.config.update(SECRET_KEY="bench", WTF_CSRF_ENABLED=False)
    Babel(app, default_locale="zh_Hant_TW")
    root = resources.files("appgov_plugin.forms")
    print(f"python {platform.python_version()}, profile {args.profile}, ms per call (median)")
    print(f"{'form':32} {'fields':>6} {'check':>8} {'form_for':>9} {'render':>8} {'validate':>9}")
    for key in builder.available():
        text = root.joinpath(f"{key}.toml").read_text(encoding="utf-8")
        definition = builder.load(key)
        with app.test_request_context(method="POST", data={}):

            def render(definition=definition):
                for locale in ("zh_Hant_TW", "en"):
                    with force_locale(locale):
                        for field in definition.form_for(policy):
                            str(field())

            def validate(definition=definition):
                definition.form_for(policy, formdata=MultiDict()).validate()

            check = timed(lambda text=text, key=key: builder.parse(text, key), args.calls, args.rounds)
            form_for = timed(lambda d=definition: d.form_for(policy), args.calls, args.rounds)
            rendered = timed(render, args.calls, args.rounds)
            validated = timed(validate, args.calls, args.rounds)
        print(
            f"{key:32} {len(definition.fields):>6} {check:>8.2f} {form_for:>9.3f}"
            f" {rendered:>8.2f} {validated:>9.2f}"
        )


if __name__ == "__main__":
    main()
