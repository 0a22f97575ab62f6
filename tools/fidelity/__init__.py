"""How closely docs/openapi.yaml follows Mastercard's contract, measured field by field against the
committed list of Mastercard's fields and their sources (tools/fidelity/mastercard.yaml).

python -m tools.fidelity           # write docs/api-fidelity.md
python -m tools.fidelity --check   # exit 1 when it is out of date
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tools.samtemplate import ROOT

CONTRACT_FILE = Path(__file__).with_name("mastercard.yaml")
OPENAPI_FILE = ROOT / "docs" / "openapi.yaml"
REPORT_FILE = ROOT / "docs" / "api-fidelity.md"
FACT = re.compile(r"^(?P<type>\w+)(?: (?P<length>[<>=]=?\d+|\d+-\d+))?(?: enum (?P<enum>\S+))?$")


@dataclass(frozen=True)
class Fact:
    """One field as Mastercard states it."""

    type: str
    min_length: int | None = None
    max_length: int | None = None
    enum: frozenset[str] | None = None

    @classmethod
    def parse(cls, text: str) -> Fact:
        match = FACT.match(text)
        if match is None:
            raise ValueError(f"not a field fact: {text!r}")
        length, enum = match["length"], match["enum"]
        low = high = None
        if length and "-" in length:
            low, high = (int(n) for n in length.split("-"))
        elif length and length.startswith("<="):
            high = int(length[2:])
        elif length and length.startswith(">="):
            low = int(length[2:])
        elif length:
            low = high = int(length.lstrip("="))
        return cls(match["type"], low or None, high, frozenset(enum.split("|")) if enum else None)

    def __str__(self) -> str:
        return describe(self.type, self.min_length, self.max_length, self.enum, None)


@dataclass(frozen=True)
class Ours:
    """One field as docs/openapi.yaml publishes it."""

    types: frozenset[str]
    min_length: int | None
    max_length: int | None
    enum: frozenset[str] | None
    pattern: str | None
    marked: bool  # x-narrowed, x-extension, or a description saying how it differs

    def __str__(self) -> str:
        return describe("|".join(sorted(self.types)), self.min_length, self.max_length, self.enum, self.pattern)


def describe(kind: str, low: int | None, high: int | None, enum: frozenset[str] | None, pattern: str | None) -> str:
    text = kind
    if low is not None and high is not None:
        text += f" ={low}" if low == high else f" {low}-{high}"
    elif high is not None:
        text += f" <={high}"
    elif low is not None:
        text += f" >={low}"
    if enum:
        text += " enum " + "|".join(sorted(enum))
    if pattern:
        text += f" pattern {pattern}"
    return text


@dataclass
class FieldResult:
    name: str
    fact: Fact
    ours: Ours | None
    reasons: list[str] = field(default_factory=list)

    @property
    def present(self) -> bool:
        return self.ours is not None

    @property
    def exact(self) -> bool:
        return self.present and not self.reasons


@dataclass
class ModelResult:
    model: str
    where: str
    source: str
    fields: list[FieldResult]
    extensions: list[tuple[str, bool]]  # our fields Mastercard's model lacks, and whether marked


# -- reading our document --------------------------------------------------------------------------
@cache
def document() -> dict[str, Any]:
    return dict(yaml.safe_load(OPENAPI_FILE.read_text()))


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def ours(schema: dict[str, Any]) -> Ours:
    variants = [resolve(v) for v in schema.get("anyOf", [schema]) if v.get("type") != "null"]
    types: set[str] = set()
    enum: set[str] = set()
    keywords = dict(schema)
    for variant in variants:
        keywords = {**variant, **keywords} if variant is not schema else keywords
        kind = variant.get("type") or ("string" if "enum" in variant or "const" in variant else "object")
        types.add("date" if variant.get("format") == "date" else kind)
        enum.update(str(v) for v in variant.get("enum", []))
        if "const" in variant:
            enum.add(str(variant["const"]))
    if "enum" in schema or "const" in schema:
        enum.update(str(v) for v in schema.get("enum", [schema.get("const")]))
    text = str(keywords.get("description", ""))
    marked = bool(keywords.get("x-narrowed") or keywords.get("x-extension")) or any(
        word in text for word in ("Mastercard", "Extension", "extension", "seed 003")
    )
    return Ours(
        frozenset(types),
        keywords.get("minLength") or None,
        keywords.get("maxLength"),
        frozenset(enum) or None,
        keywords.get("pattern"),
        marked,
    )


def published_fields(model: dict[str, Any]) -> dict[str, Ours]:
    if "schema" in model:
        schema = document()["components"]["schemas"][model["schema"]]
        return {name: ours(prop) for name, prop in schema.get("properties", {}).items()}
    method, path = model["parameters"].split(" ", 1)
    operation = document()["paths"][path][method]
    return {
        p["name"]: ours({**p["schema"], **({"description": p["description"]} if "description" in p else {})})
        for p in operation.get("parameters", [])
    }


# -- comparing -----------------------------------------------------------------------------------
def differences(fact: Fact, found: Ours, lengths_known: bool) -> list[str]:
    reasons = []
    if fact.type not in found.types:
        reasons.append(f"type {'|'.join(sorted(found.types))}, Mastercard {fact.type}")
    if lengths_known and (fact.min_length, fact.max_length) != (found.min_length, found.max_length):
        reasons.append(
            f"length {describe('', found.min_length, found.max_length, None, None).strip() or 'none'}, "
            f"Mastercard {describe('', fact.min_length, fact.max_length, None, None).strip() or 'none'}"
        )
    if fact.enum != found.enum and (fact.enum is not None or lengths_known):
        here, theirs = ("|".join(sorted(values or [])) or "any" for values in (found.enum, fact.enum))
        reasons.append(f"values {here}, Mastercard {theirs}")
    if found.pattern and lengths_known:
        reasons.append(f"pattern {found.pattern}")
    return reasons


@cache
def contract() -> dict[str, Any]:
    return dict(yaml.safe_load(CONTRACT_FILE.read_text()))


def measure() -> list[ModelResult]:
    models = contract()["models"]
    listed: dict[str, set[str]] = {}
    for model in models:
        where = model.get("schema") or model["parameters"]
        listed.setdefault(where, set()).update(
            spec.get("ours", name) if isinstance(spec, dict) else name for name, spec in model["fields"].items()
        )
    results = []
    for model in models:
        published = published_fields(model)
        lengths_known = model.get("lengths") != "unknown"
        fields = []
        for name, spec in model["fields"].items():
            fact = Fact.parse(spec["fact"] if isinstance(spec, dict) else spec)
            found = published.get(spec.get("ours", name) if isinstance(spec, dict) else name)
            result = FieldResult(name, fact, found)
            if found is not None:
                result.reasons = differences(fact, found, lengths_known)
            fields.append(result)
        where = model.get("schema") or model["parameters"]
        extensions = [(n, o.marked) for n, o in published.items() if n not in listed[where]]
        first = next(m for m in models if (m.get("schema") or m["parameters"]) == where)
        results.append(
            ModelResult(model["model"], where, model["source"], fields, extensions if model is first else [])
        )
    return results


def extension_models() -> list[tuple[str, int, bool]]:
    """Our models with no Mastercard counterpart: (schema, fields, marked x-extension)."""
    covered = {m["schema"] for m in contract()["models"] if "schema" in m}
    found = []
    for name, schema in document()["components"]["schemas"].items():
        if name in covered or "properties" not in schema:
            continue  # an enum, or the union of request bodies
        found.append((name, len(schema["properties"]), bool(schema.get("x-extension"))))
    return found


def extension_parameters() -> list[tuple[str, str, bool]]:
    """Parameters and headers of ours that Mastercard's operations lack: (operation, name, marked)."""
    covered: dict[str, set[str]] = {}
    for model in contract()["models"]:
        if "parameters" in model:
            names = {spec.get("ours", n) if isinstance(spec, dict) else n for n, spec in model["fields"].items()}
            covered.setdefault(model["parameters"], set()).update(names)
    found = []
    for path, ops in document()["paths"].items():
        for method, operation in ops.items():
            where = f"{method} {path}"
            for parameter in operation.get("parameters", []):
                if parameter["name"] not in covered.get(where, set()):
                    text = str(parameter.get("description", "")) + str(parameter["schema"].get("description", ""))
                    found.append((where, parameter["name"], "Extension" in text))
    return found


# -- the report ------------------------------------------------------------------------------------
def row(*cells: object) -> str:
    """A Markdown table row; a | inside a cell (an enum, a pattern) is escaped."""
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def totals(results: list[ModelResult]) -> tuple[int, int, int, int]:
    fields = [f for r in results for f in r.fields]
    narrowed = sum(1 for f in fields if f.present and not f.exact and f.ours is not None and f.ours.marked)
    return len(fields), sum(f.present for f in fields), sum(f.exact for f in fields), narrowed


def render() -> str:
    results = measure()
    count, present, exact, marked = totals(results)
    extensions = [(r.where, n, m) for r in results for n, m in r.extensions]
    lines = [
        "# API fidelity: docs/openapi.yaml against Mastercard's contract",
        "",
        "Generated by `make openapi` (`python -m tools.fidelity`) from docs/openapi.yaml and the committed list of",
        "Mastercard's fields in `tools/fidelity/mastercard.yaml`, which names the source of each. A field is",
        "*present* when the published document has it under Mastercard's name, and *exact* when it also has",
        "Mastercard's type, lengths and values and no pattern of its own. Digital Redemptions' specification is",
        "not public: for its models only names, sample types and stated values are compared. Where a field is",
        "not exact the document says how (`x-narrowed` or a description naming Mastercard's rule).",
        "",
        "| | fields | share |",
        "| --- | ---: | ---: |",
        f"| Mastercard's fields | {count} | |",
        f"| present under Mastercard's name | {present} | {percent(present, count)} |",
        f"| exact (name, type, lengths, values) | {exact} | {percent(exact, count)} |",
        f"| not exact, and the document says how | {marked} | {percent(marked, count)} |",
        f"| not exact, unexplained | {present - exact - marked} | {percent(present - exact - marked, count)} |",
        f"| our fields Mastercard's models lack (extensions) | {len(extensions)} | "
        f"{sum(m for _, _, m in extensions)} marked |",
        "",
        "Goals: 100 % of the names ("
        + ("met" if present == count else "not met")
        + "), 95 % exact ("
        + ("met" if exact >= 0.95 * count else "not met")
        + ").",
        "",
        "## Per model",
        "",
        "| Mastercard model | in docs/openapi.yaml | fields | present | exact | source |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        present_here, exact_here = sum(f.present for f in r.fields), sum(f.exact for f in r.fields)
        lines.append(row(r.model, f"`{r.where}`", len(r.fields), present_here, exact_here, r.source))
    lines += [
        "",
        "## Fields that are not exact",
        "",
        "| model | field | Mastercard | here | how it differs | documented |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        for f in r.fields:
            if not f.exact:
                here = str(f.ours) if f.ours else "missing"
                how = "; ".join(f.reasons) if f.present else "not published"
                documented = "yes" if f.ours is not None and f.ours.marked else "no"
                lines.append(row(r.model, f"`{f.name}`", f.fact, here, how, documented))
    lines += ["", "## Extensions", "", "| in docs/openapi.yaml | field | marked |", "| --- | --- | --- |"]
    lines += [row(f"`{where}`", f"`{name}`", "yes" if marked else "no") for where, name, marked in extensions]
    lines += [
        "",
        "## Models and parameters of ours alone",
        "",
        "Mastercard publishes no fields for these (credits, history, the status answer) or no such parameter.",
        "",
        "| in docs/openapi.yaml | fields | marked x-extension |",
        "| --- | ---: | --- |",
    ]
    lines += [row(f"`{name}`", count, "yes" if marked else "no") for name, count, marked in extension_models()]
    lines += ["", "| operation | parameter | marked |", "| --- | --- | --- |"]
    lines += [row(f"`{where}`", f"`{name}`", "yes" if m else "no") for where, name, m in extension_parameters()]
    lines += ["", "## Sources", ""]
    lines += [f"- **{key}**: {text}" for key, text in contract()["sources"].items()]
    return "\n".join(lines) + "\n"
