"""appgov: mobile-app governance and major-system roll-out for Taiwanese city intranets.

Public entry points:

- :func:`get_policy` — the city policy facade (``policy-api.md``);
- :class:`AppGov` — embed the plug-in as an ordinary Flask extension;
- :data:`hookimpl` — decorate city hook functions (entry-point group ``appgov``);
- :mod:`appgov_plugin.host` — the case-host contract a pluggy host calls.
"""

__version__ = "0.1.0"

from .extension import AppGov
from .policy import get_policy, hookimpl

__all__ = ["AppGov", "__version__", "get_policy", "hookimpl"]
