"""The log of staff-record exports in Flask-Admin (endpoint ``appgov_staff_record_exports``;
administrators only, read-only; issue 16, :mod:`.staff_records`): who exported which
person-level records, when, in which format, with which filters, how many rows.

Nothing here is created, changed or deleted: the export pages write the log, and it stays
as written.
"""

from __future__ import annotations

import json

from ..admin import AppGovModelView, OptionsFilterEqual, labels
from ..i18n import _l
from .admin import CATEGORY
from .models_exports import StaffRecordExport
from .staff_records import EXPORTS


def _export_label(view, context, model, name) -> str:
    return str(EXPORTS.get(model.export, model.export))


def _filters_text(view, context, model, name) -> str:
    return json.dumps(model.filters or {}, ensure_ascii=False, sort_keys=True)


class StaffRecordExportView(AppGovModelView):
    """Exports of staff records, newest first: read-only."""

    description = _l(
        "Exports of staff records (learning hours, transcripts, the support rate per person): "
        "who exported what, when, with which filters and how many rows. Read-only."
    )
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    column_list = ("exported_at", "username", "role", "agency_code", "export", "fmt", "row_count")
    column_details_list = (
        "id",
        "exported_at",
        "username",
        "role",
        "agency_code",
        "export",
        "fmt",
        "filters",
        "row_count",
    )
    column_default_sort = ("exported_at", True)
    column_searchable_list = ("username",)
    column_filters = (
        "exported_at",
        "username",
        "agency_code",
        OptionsFilterEqual(StaffRecordExport.export, _l("Export"), options=lambda: labels(EXPORTS)),
    )
    column_labels = {
        "id": _l("Number"),
        "exported_at": _l("Exported at"),
        "username": _l("Exported by"),
        "role": _l("Role"),
        "agency_code": _l("Agency code"),
        "export": _l("Export"),
        "fmt": _l("Format"),
        "filters": _l("Filters"),
        "row_count": _l("Rows"),
    }
    column_formatters = {"export": _export_label, "filters": _filters_text}
    column_formatters_detail = column_formatters


def admin_views(db) -> list:
    return [
        StaffRecordExportView(
            StaffRecordExport,
            db,
            name=_l("Staff record exports"),
            category=CATEGORY,
            endpoint="appgov_staff_record_exports",
        )
    ]
