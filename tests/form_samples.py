"""The shipped forms' sample answer sets, for the tests (they live in the package, where the
sample host's demo data takes them from: :mod:`appgov_plugin.forms.samples`)."""

from appgov_plugin.forms.samples import *  # noqa: F403
from appgov_plugin.forms.samples import __all__  # noqa: F401
