"""Language of parts (WCAG 2.1 SC 3.1.2): Chinese text on an English page is marked
``lang="zh-Hant-TW"``, so a screen reader reads 臺南市政府觀光旅遊局 in Chinese and the
sentence around it in English.

What an English page shows in Chinese is data -- the names of agencies, apps and people,
the holidays of the working calendar, what users typed -- and it reaches the page through
hundreds of template expressions, Flask-Admin's list cells and form values. Rather than
asking every expression to remember it, :func:`mark_language_parts` marks the finished page:
every run of Han characters (with the punctuation and digits between them) in the page's
text becomes ``<span lang="zh-Hant-TW">…</span>``; an ``<option>`` or a ``<textarea>``
holding one gets the attribute itself (they hold text only). Nothing else changes: tags,
attributes, scripts, styles, comments, ``<title>`` and ``<textarea>`` content are copied as
they are.
A Chinese page (``<html lang="zh-Hant-TW">``) is returned untouched.

:func:`mark_response` is the ``after_request`` function: appgov's blueprint installs it for
its own pages, and a host may install it for the whole site (the sample host does).
"""

from __future__ import annotations

import re

#: A run of Chinese: from a Chinese character (Han, CJK punctuation, full-width forms,
#: bopomofo) to the last one, with what a Chinese text holds between them (Latin words such
#: as App or QRcode, digits, blanks, ASCII punctuation) and the letters and digits attached
#: to its end (觀光5): 「支援 JPG、GIF、PNG 格式。」 is one part.
HAN = "\u3000-\u303f\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CHINESE_RUN = re.compile(
    rf"[{HAN}]*[{IDEOGRAPH}](?:[{HAN}0-9A-Za-z .,:;()\-/%+×=&]*[{HAN}])?[0-9A-Za-z]*"
)
#: A tag, a comment or a doctype (quoted attribute values may hold ``>``).
TAG = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.S)
#: Elements whose content is copied as it is: raw text, or text no element may enter.
RAW = ("script", "style", "textarea", "title")
TAG_NAME = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")
ENGLISH_PAGE = re.compile(r"<html\b[^>]*\blang=\"en", re.I)
SPAN = '<span lang="zh-Hant-TW">'


def _wrap(text: str) -> str:
    return CHINESE_RUN.sub(lambda m: f"{SPAN}{m.group(0)}</span>", text)


def _marked_start(tag: str) -> str:
    """A start tag with ``lang="zh-Hant-TW"`` (unless it names a language already)."""
    if " lang=" in tag:
        return tag
    return tag[:-1].rstrip().removesuffix("/") + ' lang="zh-Hant-TW">'


def mark_language_parts(page: str) -> str:
    """``page`` with every Chinese run of its text marked (an English page only)."""
    if not ENGLISH_PAGE.search(page[:2000]) or not CHINESE_RUN.search(page):
        return page
    out: list[str] = []
    position = 0
    raw: str | None = None  # inside this raw-text element
    # the index in ``out`` of the open element that takes the attribute itself when its
    # text is Chinese: an <option> or a <textarea> (they hold text only)
    holder: int | None = None
    for match in TAG.finditer(page):
        text = page[position : match.start()]
        tag = match.group(0)
        position = match.end()
        if text:
            if holder is not None:
                if CHINESE_RUN.search(text):
                    out[holder] = _marked_start(out[holder])
                out.append(text)
            else:
                out.append(text if raw is not None else _wrap(text))
        name_match = TAG_NAME.match(tag)
        name = name_match.group(1).lower() if name_match else ""
        closing = tag.startswith("</")
        if raw is not None:
            if closing and name == raw:
                raw = holder = None
        elif name in RAW and not closing:
            raw = name
            holder = len(out) if name == "textarea" else None
        elif name == "option":
            holder = None if closing else len(out)
        elif name in ("select", "optgroup", "datalist") and holder is not None:
            holder = None
        out.append(tag)
    rest = page[position:]
    out.append(_wrap(rest) if raw is None and holder is None else rest)
    marked = "".join(out)
    return page if marked == page else marked


def mark_response(response):
    """``after_request``: an English HTML page's Chinese parts marked (once, when both the
    blueprint and the host install it)."""
    if (
        not getattr(response, "appgov_language_parts", False)
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and not response.is_streamed
        and response.status_code != 304
    ):
        page = response.get_data(as_text=True)
        marked = mark_language_parts(page)
        if marked is not page:
            response.set_data(marked)
        response.appgov_language_parts = True
    return response
