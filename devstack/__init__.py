"""The offline local stack: moto and the sandbox Altegio, a local API Gateway and the page, all from
template.yaml. `python -m devstack` (make dev), `python -m devstack.invoke` (make invoke), and
`devstack.stack.LocalStack` for tests."""
