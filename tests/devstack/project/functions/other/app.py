"""Another function with its own helper.py: the two helpers must not mix."""

import json

from helper import NAME


def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"helper": NAME, "resource": event["resource"]})}
