"""make deploy against moto's server (its own process, reset before every test): never real AWS.

Every test works in a project of its own under tmp_path (deploy_kit.make_project), so a deployer's own
deploy.env in the repository is never read.
"""

from __future__ import annotations

import urllib.request

import boto3
import pytest

from devstack.aws import MotoServer

REGION = "eu-west-1"


@pytest.fixture(scope="session")
def moto_server():
    server = MotoServer(mode="process").start()
    server.wait_ready()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def aws(moto_server, monkeypatch):
    """A boto3 session on a fresh moto (every client it makes goes there, through AWS_ENDPOINT_URL)."""
    reset = urllib.request.Request(f"{moto_server.url}/moto-api/reset", method="POST", data=b"")
    urllib.request.urlopen(reset, timeout=10).close()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    return boto3.Session(region_name=REGION)
