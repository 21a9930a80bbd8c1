"""Documents as PDF (issue 16): the letters an authority sends and the transcripts it files,
with a CJK font embedded (a subset: the glyphs the document uses), built with ``fpdf2``.

The font: ``APPGOV_PDF_FONT`` (a ``.ttf``, ``.otf`` or ``.ttc`` file; a collection's face is
chosen as ``path#index``) when set, else Noto Sans CJK where Debian's ``fonts-noto-cjk`` and
other distributions put it, else the first font ``fc-list :lang=zh-tw`` names. In a
collection (``NotoSansCJK-Regular.ttc``) the Traditional Chinese face (``Noto Sans CJK TC``)
is taken. No font found: :class:`FontMissing`, whose message says what to install or set.

:class:`PdfDocument` lays out what the three documents need: a title, lines of "label:
value", paragraphs, headings and tables, the page number in the footer; :func:`pdf_response`
answers it as a download.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from flask import Response, current_app
from fpdf import FPDF
from fpdf.fonts import FontFace

from .i18n import _, current_locale

#: Where distributions install Noto Sans CJK (Debian/Ubuntu ``fonts-noto-cjk`` first).
KNOWN_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
#: The face of a collection to take: Traditional Chinese (Taiwan).
PREFERRED_FACE = "CJK TC"
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
FAMILY = "appgov-cjk"


class FontMissing(RuntimeError):
    """No CJK font to embed: the message names the package to install and the setting."""


def _message_no_font(detail: str = "") -> str:
    text = (
        "No CJK font for PDF documents: install Noto Sans CJK (Debian: apt-get install "
        "fonts-noto-cjk) or set APPGOV_PDF_FONT to a .ttf, .otf or .ttc file"
    )
    return f"{text} ({detail})." if detail else f"{text}."


def _face_index(path: Path) -> int:
    """The Traditional Chinese face of a collection (0 when none is named so)."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            if PREFERRED_FACE in (font["name"].getDebugName(4) or ""):
                return index
    finally:
        collection.close()
    return 0


def _fc_list() -> str | None:
    """The first font file fontconfig knows that covers Traditional Chinese."""
    command = shutil.which("fc-list")
    if command is None:
        return None
    try:
        listed = subprocess.run(
            [command, ":lang=zh-tw", "file"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(
        line.strip().rstrip(":") for line in listed.splitlines() if line.strip().rstrip(":")
    )
    regular = [f for f in files if f.lower().endswith(FONT_SUFFIXES) and "Regular" in f]
    usable = regular or [f for f in files if f.lower().endswith(FONT_SUFFIXES)]
    return usable[0] if usable else None


@functools.lru_cache(maxsize=8)
def find_font(setting: str | None = None) -> tuple[str, int]:
    """(file, face index) of the CJK font to embed; :class:`FontMissing` when there is none.

    ``setting``: ``APPGOV_PDF_FONT`` (``path`` or ``path#index``); when it names no file, the
    error says so (a setting is never silently ignored)."""
    if setting:
        path_text, _sep, index_text = str(setting).partition("#")
        path = Path(path_text).expanduser()
        if not path.is_file() or path.suffix.lower() not in FONT_SUFFIXES:
            raise FontMissing(_message_no_font(f"APPGOV_PDF_FONT={setting!r} is not a font file"))
        if index_text:
            if not index_text.isdigit():
                raise FontMissing(_message_no_font(f"{index_text!r} is not a face number"))
            return str(path), int(index_text)
        return str(path), _face_index(path) if path.suffix.lower() == ".ttc" else 0
    for known in (*KNOWN_FONTS, _fc_list()):
        if known and Path(known).is_file():
            path = Path(known)
            return str(path), _face_index(path) if path.suffix.lower() == ".ttc" else 0
    raise FontMissing(_message_no_font())


def configured_font() -> tuple[str, int]:
    return find_font(current_app.config.get("APPGOV_PDF_FONT") or None)


class _Pdf(FPDF):
    footer_text = ""

    def footer(self):
        self.set_y(-15)
        self.set_font(FAMILY, size=8)
        self.set_text_color(90)
        page = _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}")
        self.cell(0, 6, f"{self.footer_text}    {page}", align="C")
        self.set_text_color(0)


class PdfDocument:
    """One document: A4, the CJK font embedded, the reader's language (``/Lang``)."""

    BODY = 10.5
    LABEL_WIDTH = 48

    def __init__(self, title: str, *, footer: str = "", locale: str | None = None):
        path, index = configured_font()
        self.locale = locale or current_locale()
        pdf = _Pdf(format="A4")
        pdf.footer_text = footer
        pdf.set_margins(20, 18, 20)
        pdf.set_auto_page_break(True, margin=20)
        pdf.add_font(FAMILY, "", path, collection_font_number=index)
        pdf.set_lang("zh-TW" if self.locale == "zh_Hant_TW" else "en")
        pdf.set_title(title)
        pdf.set_creator("appgov")
        pdf.add_page()
        self.pdf = pdf
        self.title(title)

    @property
    def width(self) -> float:
        return self.pdf.epw

    def title(self, text: str) -> None:
        self.pdf.set_font(FAMILY, size=16)
        self.pdf.multi_cell(self.width, 9, text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(4)

    def heading(self, text: str) -> None:
        self.pdf.ln(2)
        self.pdf.set_font(FAMILY, size=12.5)
        self.pdf.multi_cell(self.width, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def paragraph(self, text: str, size: float | None = None) -> None:
        self.pdf.set_font(FAMILY, size=size or self.BODY)
        self.pdf.multi_cell(self.width, 6, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def fields(self, rows: Sequence[tuple[str, str]]) -> None:
        """Lines of "label | value" (a value may run over several lines)."""
        rows = [(str(label), str(value)) for label, value in rows if value not in (None, "")]
        if not rows:
            return
        self.table(None, rows, widths=(self.LABEL_WIDTH, self.width - self.LABEL_WIDTH))

    def table(
        self,
        headers: Sequence[str] | None,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float] | None = None,
        caption: str = "",
    ) -> None:
        """A table with a heading row (``headers``; ``None``: none), cells wrapping."""
        if caption:
            self.heading(caption)
        self.pdf.set_font(FAMILY, size=self.BODY - 1)
        options = {"first_row_as_headings": headers is not None, "line_height": 5.5}
        if widths:
            options["col_widths"] = tuple(widths)
        if headers is not None:
            options["headings_style"] = FontFace(fill_color=(230, 230, 230))
        with self.pdf.table(width=self.width, text_align="LEFT", **options) as table:
            for line in ([headers] if headers is not None else []) + list(rows):
                row = table.row()
                for cell in line:
                    row.cell("" if cell is None else str(cell))
        self.pdf.ln(3)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def content_disposition(name: str) -> str:
    """``attachment`` with ``name`` (ASCII) and, if it differs, ``filename*`` (UTF-8)."""
    ascii_name = "".join(c for c in name if c.isascii() and (c.isalnum() or c in "-_.")) or "doc"
    header = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        header += "; filename*=UTF-8''" + urllib.parse.quote(name, safe="")
    return header


def pdf_response(data: bytes, filename: str) -> Response:
    """``data`` as a PDF download named ``filename`` (never cached: a case's or a person's)."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def font_missing_abort(error: FontMissing):
    """The answer when no font can be embedded: 503 with the message (and a log line)."""
    from flask import abort

    current_app.logger.error("PDF document not built: %s", error)
    abort(503, description=str(error))
