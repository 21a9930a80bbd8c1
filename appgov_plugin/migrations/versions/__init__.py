"""appgov migration revisions."""
