"""Print template.yaml as SAM translates it into CloudFormation, offline (no account, no S3).

    .venv-sam/bin/python -m tools.sam_translate > translated.json

Runs with the SAM environment's Python (it needs samtranslator). Code locations become placeholder
S3 URIs, as ``sam validate`` does; managed policy names are not looked up.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"


class _NoPolicyLookups:
    def load(self) -> dict[str, str]:
        return {}


def translate(path: Path = TEMPLATE) -> dict[str, Any]:
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse(path.read_text())
    for resource in template["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = "s3://placeholder/code.zip"
    return dict(transform(template, {}, _NoPolicyLookups()))


if __name__ == "__main__":
    json.dump(translate(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE), sys.stdout, indent=1)
