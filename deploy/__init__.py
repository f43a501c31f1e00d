"""`make deploy`: preflight checks, sam build, sam deploy, then the page published to the stack's bucket.

One module per concern: settings (what this deploy uses), preflight (what must hold before building),
stack (the deployed stack's outputs), publish (the page's files, config.json, the invalidation).
"""


class DeployError(RuntimeError):
    """A deploy step cannot go on; the message says what is wrong and how to fix it."""
