"""The deployed stack as the publish step and the summary read it: outputs, parameters, the distribution."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from . import DeployError

# The template's outputs the publish step and the summary read.
NEEDED_OUTPUTS = ("SiteUrl", "ApiUrl", "SiteBucketName")
DISTRIBUTION_OUTPUT = "SiteDistributionId"


@dataclass(frozen=True)
class Stack:
    name: str
    region: str
    status: str
    outputs: dict[str, str]
    parameters: dict[str, str]

    @classmethod
    def load(cls, session, name: str, region: str) -> Stack:
        found = _describe(session, name, region)
        if found is None:
            raise DeployError(f"Stack {name} does not exist in {region}: deploy it first (make deploy)")
        stack = cls(
            name,
            region,
            found["StackStatus"],
            {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])},
            {p["ParameterKey"]: p.get("ParameterValue", "") for p in found.get("Parameters", [])},
        )
        missing = [k for k in NEEDED_OUTPUTS if not stack.outputs.get(k)]
        if missing:
            raise DeployError(
                f"Stack {name} ({stack.status}) has no output {', '.join(missing)}: was its last deploy "
                "complete?"
            )
        return stack

    def distribution_id(self, cloudfront) -> str:
        """The output when the template has one, else the distribution that serves SiteUrl's host."""
        if self.outputs.get(DISTRIBUTION_OUTPUT):
            return self.outputs[DISTRIBUTION_OUTPUT]
        host = urlsplit(self.outputs["SiteUrl"]).hostname
        for page in cloudfront.get_paginator("list_distributions").paginate():
            for dist in page.get("DistributionList", {}).get("Items", []):
                if host == dist["DomainName"] or host in dist.get("Aliases", {}).get("Items", []):
                    return dist["Id"]
        raise DeployError(f"No CloudFront distribution serves {host} (the stack's SiteUrl)")


def deployed_parameters(session, name: str, region: str) -> dict[str, str]:
    """The parameters of the stack's last deploy; {} before its first."""
    found = _describe(session, name, region)
    return {p["ParameterKey"]: p.get("ParameterValue", "") for p in (found or {}).get("Parameters", [])}


def _describe(session, name: str, region: str) -> dict | None:
    cfn = session.client("cloudformation", region_name=region)
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as e:
        if "does not exist" in e.response.get("Error", {}).get("Message", ""):
            return None
        raise
