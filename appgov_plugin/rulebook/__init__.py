"""The rules engine's face: the policy and calendar pages, rule parameters and calendar
overrides in Flask-Admin, ``flask appgov policy|deadline|calendar|audit``."""
