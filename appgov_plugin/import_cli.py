"""What every ``flask appgov ... import`` command shares (the roll-out registry's, the
e-learning completions', the apps' figures and the roll-out scores): the ``--lang`` option
of the report's language (:func:`import_options`: with FILE and ``--dry-run``), the file read
within the command's own limits (larger than a page's upload: a city's whole staff list),
and the report's lines -- the file, every row stored, every problem as ``row N, column C:
reason``, and the refusal (exit status 1, nothing stored): :func:`run_import`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask_babel import force_locale

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


def import_options(command):
    """FILE, ``--dry-run`` and ``--lang``: what an import command takes besides its own."""
    file = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    dry = click.option("--dry-run", is_flag=True, help="Check the file and report; store nothing.")
    return file(dry(lang_option(command)))


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


def counts(report: Report) -> str:
    """``2 new, 1 changed, 0 unchanged``."""
    return f"{report.new} new, {report.updated} changed, {report.unchanged} unchanged"


def print_report(
    report: Report, row: Callable[[Any], str], total: Callable[[Report], str] = counts
) -> None:
    """The file, ``  stored: row N: <row(accepted)>`` for each of the report's ``accepted``
    rows (``would store`` in a dry run), every problem, then ``stored: <total(report)>`` or
    the refusal."""
    echo_file(report)
    verb = "would store" if report.dry_run else "stored"
    for accepted in report.accepted:
        click.echo(f"  {verb}: row {accepted.row}: {row(accepted)}")
    echo_problems(report)
    if report.ok:
        click.echo(f"{verb}: {total(report)}")
    else:
        echo_refused(report)


def run_import(
    file: Path,
    import_file: Callable[..., Report],
    *,
    dry_run: bool,
    locale: str,
    row: Callable[[Any], str],
    total: Callable[[Report], str] = counts,
    **options: Any,
) -> None:
    """Read FILE (:func:`read_file`), import it with ``import_file(data, name, dry_run=...,
    max_rows=..., max_bytes=..., **options)`` and print the report in ``locale``
    (:func:`print_report`); exit status 1 when anything is rejected."""
    data, bounds = read_file(file)
    with force_locale(locale):
        report = import_file(data, file.name, dry_run=dry_run, **options, **bounds)
        print_report(report, row, total)
    if not report.ok:
        raise SystemExit(1)
