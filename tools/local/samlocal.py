"""Write env.local.json: ``sam local invoke/start-api --env-vars`` pointing every function at moto.

    python -m tools.local.samlocal   # after changing template.yaml (a test checks it is current)

The containers reach the moto server that ``make run --moto-host 0.0.0.0`` starts on the host.
"""

from __future__ import annotations

import json

from tools.local.functions import LOCAL_AWS_ENVIRONMENT
from tools.local.stack import DEFAULT_PREFIX
from tools.samtemplate import ROOT, Resolver, resources

ENV_FILE = ROOT / "env.local.json"
DOCKER_ENDPOINT = "http://host.docker.internal:5000"


def env_vars() -> dict[str, dict[str, str]]:
    resolver = Resolver(prefix=DEFAULT_PREFIX, endpoint=DOCKER_ENDPOINT)
    base = {**LOCAL_AWS_ENVIRONMENT, "AWS_ENDPOINT_URL": DOCKER_ENDPOINT}
    return {
        logical_id: {**base, **resolver.function_environment(logical_id)}
        for logical_id in resources("AWS::Serverless::Function")
    }


def render() -> str:
    return json.dumps(env_vars(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    ENV_FILE.write_text(render())
    print(f"wrote {ENV_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
