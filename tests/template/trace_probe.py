"""Child process of test_trace_masking.py: functions invoked as Lambda runs them with active tracing.

    python trace_probe.py <daemon host:port> <trace header> <event name>...

The local stack (moto, the sandbox, the template's functions) serves the calls; the environment says
"in Lambda, traced", so the layer builds Powertools' Tracer, which patches botocore and http.client for
real and sends every segment to the daemon address: the parent's UDP socket. A child process, because
that patching is process-wide and would follow every later test.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT / "layers" / "common", ROOT):
    sys.path.insert(0, str(path))

# Lambda's environment before the X-Ray SDK is imported: it decides at import whether it runs in Lambda.
os.environ.update(
    {
        "LAMBDA_TASK_ROOT": tempfile.gettempdir(),
        "AWS_XRAY_DAEMON_ADDRESS": sys.argv[1],
        "_X_AMZN_TRACE_ID": sys.argv[2],
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    }
)
os.environ.pop("POWERTOOLS_TRACE_DISABLED", None)

from devstack.stack import LocalStack  # noqa: E402
from devstack.template import ROOT as TEMPLATE_ROOT  # noqa: E402
from sandbox import SandboxConfig  # noqa: E402

FUNCTIONS = {
    "user_records_get": "UserRecordsGetFunction",
    "master_record_review_get": "MasterRecordReviewGetFunction",
}

# Tracing on, as the template's parameter deploys it (POWERTOOLS_TRACE_DISABLED=false).
with LocalStack(
    serve=False, sandbox_config=SandboxConfig(rate_limit=False), parameters={"Tracing": "on"}
) as stack:
    os.environ.pop("AWS_SAM_LOCAL")  # the local stack's "not in Lambda" flag: tracing stays off with it
    for name in sys.argv[3:]:
        event = json.loads((TEMPLATE_ROOT / "events" / f"{name}.json").read_text())
        result = stack.invoke(FUNCTIONS[name], event)
        print(json.dumps({"event": name, "status": result["statusCode"]}), flush=True)
    print(json.dumps({"denied": stack.access_denied}), flush=True)
