"""Every command of README.md and docs/*.md, as written, in a new shell, in document order.

The commands of one document run in one new bash with a minimal environment (no PYTHONPATH, no AWS
credentials), at the repository root, against a local stack of this test's own. Only the ports are
changed: 127.0.0.1:3000 and 127.0.0.1:5000 stand for that stack's gateway and moto server, and
REWARDS_BASE_URL / REWARDS_STATE_DIR point the client at it. What cannot run here is checked as far
as it can be (docs/local.md, "Documented commands"): make targets with make -n, sam subcommands
with --help, deployed-stack commands of tools/ must stop at the missing credentials (so their
arguments parsed), AWS CLI lines are syntax-checked, openssl runs in a scratch folder, pytest
collects.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tools.local.stack import LocalStack, StackOptions
from tools.samtemplate import ROOT

pytestmark = pytest.mark.e2e

BLOCK = re.compile(r"^( *)```bash\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
DOCUMENTS = [p for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))] if BLOCK.search(p.read_text())]
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

PRELUDE = r"""
set -eo pipefail
shopt -s expand_aliases
trap 'echo "FAILED: $BASH_COMMAND" >&2' ERR
expect_no_credentials() {
  local out rc=0
  out=$(env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
        AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
        AWS_DEFAULT_REGION=us-east-1 "$@" 2>&1) || rc=$?
  if [ "$rc" != 2 ] || ! grep -q "no AWS credentials" <<<"$out"; then
    echo "expected the no-credentials refusal from: $* (exit $rc): $out" >&2; return 1
  fi
}
"""


def commands(markdown: str) -> list[str]:
    """The shell commands of the bash blocks: continuation lines and multi-line quotes joined."""
    found: list[str] = []
    for indent, body in BLOCK.findall(markdown):
        pending = ""
        for line in body.splitlines():
            text = line[len(indent) :] if line.startswith(indent) else line
            pending = f"{pending}\n{text}" if pending else text
            if pending.rstrip().endswith("\\"):
                continue
            try:
                words = shlex.split(pending, comments=True)
            except ValueError:  # a quote still open: the command goes on
                continue
            if words:
                found.append(pending)
            pending = ""
        assert not pending, f"unfinished command: {pending}"
    return found


def program(command: str) -> tuple[str, list[str]]:
    words = shlex.split(command, comments=True)
    while words and ASSIGNMENT.match(words[0]):
        words = words[1:]
    return (words[0], words[1:]) if words else ("", [])


def as_checked(command: str) -> str:
    """The line the test runs for a documented command (the command itself, when it can run here)."""
    name, args = program(command)
    if name == "make":
        return f"make -n {command.split('make', 1)[1].split('#', 1)[0].strip()} >/dev/null"
    if name == ".venv-sam/bin/sam":
        subcommand = []
        for word in args:  # `local invoke`, `deploy`: the words before the first option or name
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            subcommand.append(word)
        return f".venv-sam/bin/sam {' '.join(subcommand)} --help >/dev/null"
    if name == "aws" or command.startswith("out()") or "$(out " in command or "$(aws " in command:
        return f"bash -n -c {shlex.quote(command)}"
    if "--stack-name" in args and name.startswith(".venv/bin/python"):
        return f"expect_no_credentials {command}"
    if name == "openssl":
        return f'(cd "$SCRATCH" && {command})'
    if name == ".venv/bin/pytest":
        return f"{command.split('#', 1)[0].rstrip()} --collect-only -q >/dev/null"
    return command


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The documents name rewards-local's resources: a stack of that prefix, on free ports."""
    options = StackOptions(
        port=0, moto_port=0, webhook_port=0, prefix="rewards-local", state_dir=tmp_path_factory.mktemp("docs")
    )
    with LocalStack(options) as started:
        yield started


def run_document(stack: LocalStack, document: Path, scratch: Path) -> subprocess.CompletedProcess[str]:
    moto, gateway = stack.moto_url.removeprefix("http://"), stack.url.removeprefix("http://")
    lines, dry = [], set()
    for command in commands(document.read_text()):
        line = as_checked(command)
        if line != command and line in dry:  # the same check again (sam local invoke --help) proves nothing new
            continue
        dry.add(line)
        lines.append(line)
    script = PRELUDE + f"SCRATCH={shlex.quote(str(scratch))}\n" + "\n".join(lines) + "\n"
    script = script.replace("127.0.0.1:5000", moto).replace("127.0.0.1:3000", gateway)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(scratch),
        "LANG": "C.UTF-8",
        "REWARDS_BASE_URL": stack.url,
        "REWARDS_STATE_DIR": str(stack.options.state_dir),
    }
    return subprocess.run(
        ["bash", "-s"], input=script, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_walkthroughs_are_among_the_documents_run():
    assert {"README.md", "local.md", "runbook.md"} <= {p.name for p in DOCUMENTS}


def test_the_parser_finds_multi_line_commands_and_the_checks_replace_what_cannot_run_here():
    markdown = "```bash\n# note\npwr POST /x -d '{\"a\":\n  1}'\nmake run \\\n  RUN_ARGS=1\n```\n"
    assert commands(markdown) == ["pwr POST /x -d '{\"a\":\n  1}'", "make run \\\n  RUN_ARGS=1"]
    assert as_checked("make test") == "make -n test >/dev/null"
    assert (
        as_checked(".venv-sam/bin/sam local invoke F -e x.json") == ".venv-sam/bin/sam local invoke --help >/dev/null"
    )
    assert as_checked(".venv/bin/python -m tools.bootstrap --stack-name s").startswith("expect_no_credentials ")
    assert as_checked("pwr GET /redeemers/X") == "pwr GET /redeemers/X"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_documented_command_works_as_written(stack: LocalStack, document: Path, tmp_path: Path):
    done = run_document(stack, document, tmp_path)
    assert done.returncode == 0, f"{document.name}:\n{done.stderr[-3000:]}"
    if document.name == "README.md":  # the walkthroughs did what their comments say
        for outcome in (
            '"partiallyRedeemed": true',
            '"reprocessCode": "60"',
            '"remainingCreditablePoints": 1033',
            '"status": "POSTED"',
            '"reason": "R03 account closed"',
        ):
            assert outcome in done.stdout, f"README walkthrough: no {outcome} in its answers"
    assert not list(ROOT.glob("*.pem")), "a documented command left files in the repository root"
