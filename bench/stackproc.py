"""`python -m bench.stackproc --upstream URL`: the local stack (local API Gateway, handlers, moto, page) in
its own process, in front of an upstream the bench started. Prints one line `STACK {json}` when ready,
then runs until SIGTERM."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading

# Nothing may reach real AWS: fake credentials before anything imports boto3 (as tests/conftest.py does).
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
)
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)

from devstack.stack import WEBHOOK_ROUTE, LocalStack  # noqa: E402

from .settings import PARTNER_TOKEN  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.stackproc")
    p.add_argument("--upstream", required=True, help="Altegio API base, e.g. http://127.0.0.1:8081/api/v1")
    p.add_argument("--max-instances", type=int, default=4, help="warm instances per function at most")
    p.add_argument("--schedules", action="store_true", help="run the template's schedules (the warmer)")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    for name in ("werkzeug", "devstack", "botocore", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stack = LocalStack(
        upstream=a.upstream, partner_token=PARTNER_TOKEN, max_instances=a.max_instances, schedules=a.schedules
    ).start()
    try:
        info = {
            "api_base": stack.api_base,
            "api_key": stack.api_key,
            "page_url": stack.page_url,
            # where a contender with webhooks registers the sandbox's webhooks (its secret: the local one)
            "webhook_url": f"{stack.api_base}{WEBHOOK_ROUTE}{stack.webhook_secret}",
        }
        print("STACK " + json.dumps(info), flush=True)
        stop.wait()
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
