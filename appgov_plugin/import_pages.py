"""What every import page shares (the apps' figures, the roll-out scores, the e-learning
completions, the roll-out registry's administrator page): the posted form's file read within
the page's limit, the check (the form's check-only button) or the import, and the page's
status (:func:`import_upload`); the form of a file and its two buttons
(:class:`ImportFileForm`); the limits as the page states them (:func:`limits_text`). The
pages' own parts -- the form's other fields, what is imported and for whom -- stay with each
page; the template macros are in ``appgov/_import.html``."""

from __future__ import annotations

from collections.abc import Callable

from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField

from .forms.builder import AppGovForm
from .i18n import _l
from .import_columns import Report
from .imports import ImportRefused, limits, read_bytes


class ImportFileForm(AppGovForm):
    """One file, checked only (``check``) or imported (``run``)."""

    file = FileField(_l("File (.csv, .xlsx or .ods)"), validators=[FileRequired()])
    check = SubmitField(_l("Check the file only (nothing is stored)"))
    run = SubmitField(_l("Import"))


def import_upload(form, run: Callable[..., Report]) -> tuple[Report | None, int]:
    """The POST of an import page. A valid ``form`` (its ``file`` field, its ``run`` button:
    import; otherwise check only) has its file read within the page's limit and given to
    ``run(data, filename, dry_run=...)``; a file too large is told at the file field and
    nothing is run. Returns the report (``None``: nothing was read) and the page's status:
    200 when the report has no error, else 400."""
    report = None
    if form.validate():
        upload = form.file.data
        try:
            data = read_bytes(upload.stream, limits()[0])
        except ImportRefused as refused:
            form.file.errors = [str(refused)]
        else:
            report = run(data, upload.filename or "", dry_run=not form.run.data)
    return report, 200 if report is not None and report.ok else 400


def limits_text() -> tuple[str, str]:
    """The page's limits as it states them: (megabytes, rows), e.g. ``("10", "5,000")``."""
    max_bytes, max_rows = limits()
    return f"{max_bytes / 2**20:g}", f"{max_rows:,}"
