"""moto's server and the template's tables and secret inside it; the AWS settings handlers get."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import IO

import boto3
from botocore.config import Config

from . import procs
from .moto_server import OneWriteAtATime
from .template import ROOT, Template

log = logging.getLogger("devstack")

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}


def aws_env(endpoint_url: str, region: str) -> dict[str, str]:
    """Every AWS call of the handlers goes to moto, signed with fake credentials."""
    return {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        # Set by `sam local` too; Powertools Tracer stays off without an X-Ray daemon.
        "AWS_SAM_LOCAL": "true",
    }


def client(service: str, endpoint_url: str, region: str):
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 2}, connect_timeout=2, read_timeout=10),
    )


class MotoServer:
    """moto in a child process (default: its backends are its own) or in a thread of this process, its
    DynamoDB conditional writes atomic as DynamoDB's are (moto_server.py).

    A thread shares moto's process-wide backends, and every `mock_aws()` start resets them: a test
    using mock_aws would wipe the stack's tables. Tests therefore get the process.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, mode: str = "process", log_file: Path | None = None
    ):
        if mode not in ("process", "thread"):
            raise ValueError("moto mode is 'process' or 'thread'")
        self.host, self.port, self.mode, self.log_file = host, port, mode, log_file
        self.proc: subprocess.Popen | None = None
        self._thread_server = None
        self._log: IO | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> MotoServer:
        if self.mode == "thread":
            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            self._thread_server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
            self._thread_server.start()
            server = self._thread_server._server  # noqa: SLF001 - werkzeug's server: its WSGI app
            server.app = OneWriteAtATime(server.app)  # conditional writes atomic, as in DynamoDB
            self.port = self._thread_server.get_host_and_port()[1]
            return self
        self.spawn()
        return self

    def spawn(self) -> None:
        """Start (or restart, on the same port) the child; wait_ready() before use."""
        if not self.port:
            self.port = procs.free_port(self.host)
        if self.log_file is not None and self._log is None:
            self._log = open(self.log_file, "wb")  # noqa: SIM115 - open for the lifetime of the child
        out = self._log or subprocess.DEVNULL
        cmd = [sys.executable, "-m", "devstack.moto_server", "-H", self.host, "-p", str(self.port)]
        self.proc = procs.spawn(cmd, stdout=out, stderr=out, cwd=ROOT)

    def wait_ready(self, timeout: float = 15.0) -> None:
        if self.proc is not None:
            procs.wait_port(self.host, self.port, timeout, self.proc)

    def alive(self) -> bool:
        return self._thread_server is not None or (self.proc is not None and self.proc.poll() is None)

    def stop(self) -> None:
        if self._thread_server is not None:
            self._thread_server.stop()
            self._thread_server = None
        procs.stop(self.proc)
        if self._log is not None:
            self._log.close()
            self._log = None


# The secret the webhook URL's last segment must match (template.yaml's WebhookSecret, generated in AWS):
# locally the value the sandbox's webhooks are sent with (devstack/stack.py DEV_WEBHOOK_SECRET).
WEBHOOK_SECRET = "WebhookSecret"


def provision(
    template: Template, endpoint_url: str, partner_token: str, webhook_secret: str | None = None
) -> None:
    """Create every table (key schema, indexes, TTL) and secret the template declares. Idempotent."""
    ddb = client("dynamodb", endpoint_url, template.region)
    existing = set(ddb.list_tables()["TableNames"])
    for table in template.tables.values():
        if table.name not in existing:
            ddb.create_table(**_create_table_args(table.name, table.properties))
        if table.ttl_attribute:
            # CreateTable takes no TTL; moto records it but never evicts (readers check expiry).
            ddb.update_time_to_live(
                TableName=table.name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
    sm = client("secretsmanager", endpoint_url, template.region)
    for secret in template.secrets.values():
        # A secret the template fills itself (generated) keeps that value; any other holds the partner token.
        value = secret.value if secret.value is not None else json.dumps({"token": partner_token})
        if secret.logical_id == WEBHOOK_SECRET and webhook_secret:
            value = json.dumps({"value": webhook_secret})
        try:
            sm.create_secret(Name=secret.name, SecretString=value)
        except sm.exceptions.ResourceExistsException:
            sm.put_secret_value(SecretId=secret.name, SecretString=value)
    log.debug("provisioned %d tables and %d secrets", len(template.tables), len(template.secrets))


def _create_table_args(name: str, props: dict) -> dict:
    args = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST",  # local capacity is meaningless
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(key):
            args[key] = [{k: v for k, v in ix.items() if k != "ProvisionedThroughput"} for ix in props[key]]
    if props.get("StreamSpecification"):
        args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return args


def empty_tables(template: Template, endpoint_url: str, only: tuple[str, ...] = ()) -> None:
    """Delete every item (tests start from a cold cache without restarting moto); `only`: these logical
    ids."""
    ddb = boto3.resource(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=template.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for logical_id, t in template.tables.items():
        if only and logical_id not in only:
            continue
        table = ddb.Table(t.name)
        names = {f"#k{i}": k["AttributeName"] for i, k in enumerate(t.properties["KeySchema"])}
        scan = {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
        with table.batch_writer() as batch:
            while True:
                page = table.scan(**scan)
                for key in page["Items"]:
                    batch.delete_item(Key=key)
                if "LastEvaluatedKey" not in page:
                    break
                scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
