"""Benchmark: the form engine against hand-written WTForms classes, for every city form.

For each shipped city form (``forms/*.toml``, sample answers from
``appgov_plugin.forms.samples``) two ways to do the same request work are timed in the same
run, alternating call by call, median of ``--rounds`` rounds of ``--calls`` requests each:

- ``engine``  -- the cached path a request takes: ``definition.form_for(policy, formdata=...)``
                 (the class is built once per set of asked fields), ``validate()``, every
                 field rendered (label and widget, zh_Hant_TW), ``answers()``;
- ``hand``    -- the hand-written class of ``benchmarks/handwritten_forms.py`` (same field
                 classes, the same rules as ``if`` statements, the policy called directly),
                 ``validate()``, the same rendering, its ``data``.

Both must accept the sample (checked first, with the same fields). The ratio per form is
``engine / hand`` (target: at most 1.3). Files are posted as kept-file tokens (a resubmit:
the stored file is checked, not stored again), so disk writes do not hide the engine's
cost. ``× valid.`` is the same ratio without rendering (form, validation, answers).
``build`` is the uncached cost of making one form class from its definition: parse
the TOML, check it, build its fields and the class. ``html`` compares the characters each
way renders (labels, widgets, help): the hand-written classes carry the same length hints
but not the definitions' own help texts nor the condition attributes the engine's browser
script reads.

Usage: ``python benchmarks/forms.py [--calls 40] [--rounds 7] [--form KEY ...]``
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from flask import Flask
from flask_babel import Babel
from werkzeug.datastructures import MultiDict

import appgov_plugin
from appgov_plugin.forms import builder
from appgov_plugin.forms.files import KEPT_SUFFIX, kept_token
from appgov_plugin.forms.samples import SAMPLES, Upload, formdata
from appgov_plugin.uploads import store

sys.path.insert(0, str(Path(__file__).resolve().parent))

from handwritten_forms import HANDWRITTEN


def make_app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="benchmark",
        WTF_CSRF_ENABLED=False,
        APPGOV_UPLOAD_DIR=tempfile.mkdtemp(prefix="appgov-bench-"),
    )
    Babel(app, default_locale="zh_Hant_TW")
    return app


def posted(definition, answers: dict) -> MultiDict:
    """The sample as posted again after a first submit: files as kept-file tokens."""
    data = formdata(definition, {k: v for k, v in answers.items() if not isinstance(v, Upload)})
    for name, value in answers.items():
        if isinstance(value, Upload):
            stream = value.storage().stream
            reference = store(stream, value.name, definition.spec(name)["accept"], 50 * 2**20)
            data.add(name + KEPT_SUFFIX, kept_token(reference))
    return data


def render(form) -> int:
    """Every field as a host template renders it: label, widget, help."""
    size = 0
    for field in form:
        size += len(str(field.label())) + len(str(field())) + len(str(field.description or ""))
    return size


def engine_request(definition, policy, data, rendered=True):
    form = definition.form_for(policy, formdata=data)
    ok = form.validate()
    size = render(form) if rendered else 0
    return ok, form.answers(), size


def hand_request(form_class, policy, data, rendered=True):
    form = form_class(formdata=data, policy=policy)
    ok = form.validate()
    size = render(form) if rendered else 0
    return ok, form.data, size


def interleaved(engine, hand, calls: int) -> dict[str, float]:
    """µs per request of each way, the two alternating call by call (a busy machine slows
    both alike)."""
    spent = {"engine": 0.0, "hand": 0.0}
    clock = time.perf_counter
    for _ in range(calls):
        started = clock()
        engine()
        middle = clock()
        hand()
        spent["engine"] += middle - started
        spent["hand"] += clock() - middle
    return {way: total / calls * 1e6 for way, total in spent.items()}


def build_cost(key: str, policy, calls: int) -> float:
    """µs to make one form class from the definition's text, nothing cached."""
    text = resources.files("appgov_plugin.forms").joinpath(f"{key}.toml").read_text("utf-8")
    started = time.perf_counter()
    for _ in range(calls):
        definition = builder.parse(text, source=f"forms/{key}.toml")
        definition.form_class_for(definition.asked(policy.applies))
    return (time.perf_counter() - started) / calls * 1e6


def same_fields(definition, policy, form_class) -> None:
    """The hand-written class has exactly the fields the deployment asks."""
    asked = set(definition.asked(policy.applies))
    hand = {
        name for name, field in form_class(policy=policy)._fields.items() if not field.flags.heading
    }
    assert asked == hand, (definition.key, sorted(asked ^ hand))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--form", action="append", choices=sorted(SAMPLES))
    args = parser.parse_args()
    keys = args.form or list(SAMPLES)

    app = make_app()
    rows = []
    with app.test_request_context(method="POST"):
        for key in keys:
            sample = SAMPLES[key]
            definition = builder.load(key)
            policy = appgov_plugin.get_policy(sample.profile)
            form_class = HANDWRITTEN[key]
            data = posted(definition, sample.answers)
            same_fields(definition, policy, form_class)
            ok_engine, _, html_engine = engine_request(definition, policy, data)
            ok_hand, _, html_hand = hand_request(form_class, policy, data)
            assert ok_engine and ok_hand, (key, ok_engine, ok_hand)

            def engine(definition=definition, policy=policy, data=data):
                return engine_request(definition, policy, data)

            def hand(form_class=form_class, policy=policy, data=data):
                return hand_request(form_class, policy, data)

            def engine_validate(definition=definition, policy=policy, data=data):
                return engine_request(definition, policy, data, rendered=False)

            def hand_validate(form_class=form_class, policy=policy, data=data):
                return hand_request(form_class, policy, data, rendered=False)

            samples = {"engine": [], "hand": [], "engine_v": [], "hand_v": []}
            for _ in range(args.rounds):
                for way, value in interleaved(engine, hand, args.calls).items():
                    samples[way].append(value)
                for way, value in interleaved(engine_validate, hand_validate, args.calls).items():
                    samples[f"{way}_v"].append(value)
            median = {way: statistics.median(values) for way, values in samples.items()}
            build = statistics.median(
                build_cost(key, policy, max(1, args.calls // 4)) for _ in range(args.rounds)
            )
            fields = len(definition.asked(policy.applies))
            rows.append(
                (key, sample.profile, fields, median["engine"], median["hand"], build,
                 html_engine, html_hand, median["engine_v"] / median["hand_v"])
            )  # fmt: skip

    print(f"python {platform.python_version()} on {platform.machine()}")
    print(f"{args.calls} requests per round, median of {args.rounds} rounds (µs per request)")
    print(
        f"{'form':<28} {'profile':<10} {'fields':>6} {'engine':>9} {'hand':>9} "
        f"{'× hand':>7} {'× valid.':>8} {'build':>9} {'html kB':>13}"
    )
    for key, profile, fields, engine_us, hand_us, build_us, html_e, html_h, valid in rows:
        print(
            f"{key:<28} {profile:<10} {fields:>6} {engine_us:>9.0f} {hand_us:>9.0f} "
            f"{engine_us / hand_us:>7.2f} {valid:>8.2f} {build_us:>9.0f} "
            f"{html_e / 1000:>6.1f}/{html_h / 1000:<6.1f}"
        )
    ratios = [r[3] / r[4] for r in rows]
    worst = max(rows, key=lambda r: r[3] / r[4])
    print(
        f"median ratio {statistics.median(ratios):.2f}, worst {worst[3] / worst[4]:.2f} "
        f"({worst[0]}); target <= 1.30"
    )
    print(
        f"validate only (no rendering): median ratio {statistics.median(r[8] for r in rows):.2f}"
        f", worst {max(r[8] for r in rows):.2f}"
    )
    print("build = uncached: parse + check + fields + class of one definition (µs)")
    print("html kB = characters rendered, engine/hand (help texts, condition attributes)")


if __name__ == "__main__":
    main()
