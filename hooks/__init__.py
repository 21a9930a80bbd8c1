"""City policy hook modules: one file per city profile, plus the shared defaults."""
