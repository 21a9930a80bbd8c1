"""An app's life after approval: listing and version changes (TN-LIST-1/2, KH-LIST-1/2,
KH-VER-1, KH-SEC-1), delisting (TN-DEL-1..3), the improvement and marketing plan (KH-KPI-3),
the self-check checklist (TN-PERF-1/2) and the yearly KPI report (KH-KPI-6). Today their
forms are filed and accepted or returned; their own workflows come with their issue."""
