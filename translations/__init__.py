"""Compiled gettext catalogs of the ``appgov`` domain (found with importlib.resources)."""
