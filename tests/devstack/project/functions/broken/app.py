"""A function whose import fails: the stack must answer 502 for it and keep serving the others."""

import a_module_that_does_not_exist  # noqa: F401
