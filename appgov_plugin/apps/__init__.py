"""The app registry and the app development proposal (TN-EVAL-1..5, KH-EVAL-1..2): its
table, case type and workflow, pages, Flask-Admin view and demo data."""
