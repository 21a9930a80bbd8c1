"""What every ``flask appgov ... import`` command shares (the roll-out registry's, the
e-learning completions'): the ``--lang`` option of the report's language, the file read
within the command's own limits (larger than a page's upload: a city's whole staff list),
and the report's lines -- the file, every problem as ``row N, column C: reason``, and the
refusal (exit status 1, nothing stored)."""

from __future__ import annotations

from pathlib import Path

import click

from .i18n import DEFAULT_LOCALE, parse_locale
from .import_columns import Report
from .imports import limits

#: Rows a file given to a command may have (a city's staff list).
CLI_MAX_ROWS = 200_000
#: The largest file a command reads (bytes).
CLI_MAX_BYTES = 200 * 2**20


def _locale(ctx, param, value):
    try:
        return parse_locale(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def lang_option(command):
    """``--lang``: the language of the report's reasons (default the site's)."""
    return click.option(
        "--lang",
        "locale",
        default=DEFAULT_LOCALE,
        show_default=True,
        callback=_locale,
        help="Language of the report's reasons: zh_Hant_TW (zh, zh-TW) or en.",
    )(command)


def read_file(file: Path) -> tuple[bytes, dict]:
    """The file's bytes and the reader's limits (``max_rows``, ``max_bytes``); a file over
    the limit ends the command (exit status 1)."""
    max_bytes = max(limits()[0], CLI_MAX_BYTES)
    if file.stat().st_size > max_bytes:
        click.echo(f"{file}: larger than {max_bytes // 2**20} MB; split it", err=True)
        raise SystemExit(1)
    return file.read_bytes(), {"max_rows": max(limits()[1], CLI_MAX_ROWS), "max_bytes": max_bytes}


def echo_file(report: Report, what: str = "") -> None:
    """``name.csv (CSV, utf-8): 12 rows`` (``what``: of what)."""
    where = report.format.upper() if report.format else "?"
    if report.encoding:
        where += f", {report.encoding}"
    click.echo(f"{report.filename} ({where}): {report.rows} rows{what}")


def echo_problems(report: Report) -> None:
    for problem in report.problems:
        place = "file" if problem.row is None else f"row {problem.row}"
        if problem.column:
            place += f", column {problem.column}"
        label = "ERROR" if problem.severity == "error" else "warning"
        click.echo(f"  {label}: {place}: {problem.message}")


def echo_refused(report: Report) -> None:
    rows = report.rejected_rows
    click.echo(
        f"refused: {len(report.errors)} problems in {len(rows)} rows; nothing was stored",
        err=True,
    )
