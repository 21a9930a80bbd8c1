"""Babel extractor for form definitions: their titles, labels, help and choice texts.

Registered as the ``appgov_forms`` extractor (``babel.extractors`` entry point) and used by
``babel.cfg`` for ``forms/*.toml``.
"""

from __future__ import annotations

import tomllib

_TEXT_KEYS = ("title", "label", "help", "must_be_message")


def _line_of(lines: list[str], text: str) -> int:
    for number, line in enumerate(lines, 1):
        if text in line:
            return number
    return 0


def extract_form_definitions(fileobj, keywords, comment_tags, options):
    raw = fileobj.read().decode("utf-8")
    lines = raw.splitlines()
    data = tomllib.loads(raw)
    texts = [data.get("title")]
    for spec in data.get("fields", []):
        texts += [spec.get(key) for key in _TEXT_KEYS]
        texts += [label for _, label in spec.get("choices", [])]
    for text in texts:
        if text:
            yield _line_of(lines, text), "_l", text, []
