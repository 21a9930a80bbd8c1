"""Declarative form definitions (``*.toml``) and the builder that renders them as WTForms."""
