"""The intake questionnaire (YAML, replaceable) and triage: answers → tier, priority, due dates.

The shipped questionnaire screens for EU AI Act Article 5 prohibited practices and Annex III
high-risk areas, user impact, autonomy and personal data. Its rules are data: a tier rule is a
condition over answers (``answer``/``in``/``any_of``/``equals``, combined with ``all``/``any``,
or ``always``), and the priority is a sum of points per answer mapped to bands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from assay.errors import InputError, SchemaError
from assay.governance._common import add_business_days
from assay.policy import RISK_TIERS

__all__ = ["Question", "Questionnaire", "Screening", "load_questionnaire", "screen"]

SCHEMA = "assay.questionnaire/v1"
QUESTION_TYPES = ("text", "choice", "multi", "boolean", "date", "number")
PRIORITIES = ("P1", "P2", "P3")


@dataclass(frozen=True, slots=True)
class Question:
    """One question: ``options`` for choice and multi questions, as (value, label) pairs."""

    id: str
    text: str
    type: str
    required: bool
    options: tuple[tuple[str, str], ...]

    @property
    def values(self) -> tuple[str, ...]:
        """The allowed option values."""
        return tuple(v for v, _ in self.options)


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """A validated questionnaire."""

    id: str
    version: int
    title: str
    questions: tuple[Question, ...]
    tier_rules: tuple[Mapping[str, Any], ...]
    points: Mapping[str, Mapping[str, int]]
    bands: tuple[tuple[int, str], ...]
    tier_floor: Mapping[str, str]
    triage_business_days: int
    readiness_business_days: Mapping[str, int]
    source: str

    @property
    def ref(self) -> str:
        """``id@version``, stored on each review."""
        return f"{self.id}@{self.version}"

    def question(self, qid: str) -> Question:
        """The question with this id."""
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def template(self) -> str:
        """An answers file to fill in: every question as a YAML comment and an empty answer."""
        lines = [f"# Answers to the questionnaire {self.ref}: {self.title}", ""]
        for q in self.questions:
            lines.append(f"# {q.text}" + ("" if q.required else " (optional)"))
            if q.options:
                for value, label in q.options:
                    lines.append(f"#   {value}: {label}" if label != value else f"#   {value}")
            example = {"multi": "[]", "boolean": "false", "number": "0"}.get(q.type, '""')
            lines.append(f"{q.id}: {example}")
            lines.append("")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Screening:
    """What triage derives from the answers; stored with the review."""

    tier: str
    tier_reason: str
    priority: str
    score: int
    flags: tuple[str, ...]
    triage_due: dt.date
    due_date: dt.date

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored on the review."""
        return {
            "tier": self.tier,
            "tier_reason": self.tier_reason,
            "priority": self.priority,
            "score": self.score,
            "flags": list(self.flags),
            "triage_due": self.triage_due.isoformat(),
            "due_date": self.due_date.isoformat(),
        }


def _fail(source: str, where: str, message: str) -> SchemaError:
    return SchemaError(f"{source}: {where}: {message}")


def _check_condition(cond: Any, qs: Mapping[str, Question], source: str, where: str) -> None:
    if cond == "always":
        return
    if not isinstance(cond, Mapping):
        raise _fail(source, where, "a condition is 'always' or a mapping")
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        if set(cond) != {key} or not isinstance(cond[key], list) or not cond[key]:
            raise _fail(source, where, f"'{key}' takes a non-empty list of conditions only")
        for i, sub in enumerate(cond[key]):
            _check_condition(sub, qs, source, f"{where}.{key}[{i}]")
        return
    ops = set(cond) - {"answer"}
    if "answer" not in cond or len(ops) != 1 or not ops <= {"in", "any_of", "equals"}:
        raise _fail(
            source,
            where,
            "write {answer: ID, in: [...]}, {answer: ID, any_of: [...]} or "
            "{answer: ID, equals: VALUE}",
        )
    qid = cond["answer"]
    if qid not in qs:
        raise _fail(source, where, f"no question has the id {qid!r}")
    op = ops.pop()
    q = qs[qid]
    if op in ("in", "any_of"):
        values = cond[op]
        if not isinstance(values, list):
            raise _fail(source, where, f"'{op}' takes a list")
        if q.options:
            unknown = [v for v in values if v not in q.values]
            if unknown:
                raise _fail(source, where, f"{unknown} are not options of {qid!r}")
        if op == "any_of" and q.type != "multi":
            raise _fail(source, where, f"'any_of' is for multi questions; {qid!r} is {q.type}")


def _parse(data: Any, source: str) -> Questionnaire:
    if not isinstance(data, Mapping) or data.get("schema") != SCHEMA:
        raise _fail(source, "schema", f"expected 'schema: {SCHEMA}'")
    for key in ("id", "version", "questions", "tier_rules", "priority", "sla"):
        if key not in data:
            raise _fail(source, key, "is required")
    questions: list[Question] = []
    for i, q in enumerate(data["questions"]):
        where = f"questions[{i}]"
        if not isinstance(q, Mapping) or not isinstance(q.get("id"), str):
            raise _fail(source, where, "each question needs an 'id'")
        qtype = q.get("type", "text")
        if qtype not in QUESTION_TYPES:
            raise _fail(source, where, f"type must be one of {', '.join(QUESTION_TYPES)}")
        options: list[tuple[str, str]] = []
        for opt in q.get("options", []) or []:
            if isinstance(opt, Mapping):
                options.append((str(opt["value"]), str(opt.get("label", opt["value"]))))
            else:
                options.append((str(opt), str(opt)))
        if qtype in ("choice", "multi") and not options:
            raise _fail(source, where, f"a {qtype} question needs options")
        questions.append(
            Question(
                id=q["id"],
                text=str(q.get("text", q["id"])),
                type=qtype,
                required=bool(q.get("required", True)),
                options=tuple(options),
            )
        )
    by_id = {q.id: q for q in questions}
    if len(by_id) != len(questions):
        raise _fail(source, "questions", "question ids must be unique")
    rules = data["tier_rules"]
    if not isinstance(rules, list) or not rules:
        raise _fail(source, "tier_rules", "a non-empty list is required")
    for i, rule in enumerate(rules):
        where = f"tier_rules[{i}]"
        if (
            not isinstance(rule, Mapping)
            or rule.get("tier") not in RISK_TIERS
            or "when" not in rule
        ):
            raise _fail(source, where, f"each rule needs 'tier' (one of {RISK_TIERS}) and 'when'")
        _check_condition(rule["when"], by_id, source, f"{where}.when")
    if rules[-1]["when"] != "always":
        raise _fail(source, "tier_rules", "the last rule must be 'when: always' (the default)")
    prio = data["priority"]
    points: dict[str, dict[str, int]] = {}
    for qid, table in (prio.get("points") or {}).items():
        if qid not in by_id:
            raise _fail(source, f"priority.points.{qid}", "no question has this id")
        points[qid] = {str(k): int(v) for k, v in table.items()}
    bands = tuple((int(b["min"]), str(b["priority"])) for b in prio.get("bands", []))
    if not bands or any(p not in PRIORITIES for _, p in bands) or bands[-1][0] > 0:
        raise _fail(source, "priority.bands", "bands of {min, priority P1|P2|P3}, the last min 0")
    sla = data["sla"]
    readiness = {str(k): int(v) for k, v in (sla.get("readiness_business_days") or {}).items()}
    if set(readiness) != set(PRIORITIES):
        raise _fail(source, "sla.readiness_business_days", "give days for P1, P2 and P3")
    return Questionnaire(
        id=str(data["id"]),
        version=int(data["version"]),
        title=str(data.get("title", data["id"])),
        questions=tuple(questions),
        tier_rules=tuple(rules),
        points=points,
        bands=bands,
        tier_floor={str(k): str(v) for k, v in (prio.get("tier_floor") or {}).items()},
        triage_business_days=int(sla.get("triage_business_days", 3)),
        readiness_business_days=readiness,
        source=source,
    )


def load_questionnaire(path: Path | str | None = None) -> Questionnaire:
    """Load and validate a questionnaire; the shipped default when ``path`` is None."""
    if path is None:
        text = resources.files("assay.governance").joinpath("questionnaire.yaml").read_text("utf-8")
        source = "questionnaire.yaml (shipped)"
    else:
        p = Path(path)
        if not p.is_file():
            state = "is a folder" if p.is_dir() else "does not exist"
            raise InputError(f"The questionnaire {str(p)!r} {state}; give the path of a file.")
        text, source = p.read_text("utf-8"), str(p)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SchemaError(f"{source} is not valid YAML: {exc}") from exc
    return _parse(data, source)


def _truthy(value: Any, qid: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "y", "1"):
        return True
    if text in ("no", "false", "n", "0"):
        return False
    raise InputError(f"The answer to {qid!r} must be yes or no; got {value!r}.")


def check_answers(qn: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Validate answers against the questionnaire; return them normalised (JSON values)."""
    unknown = sorted(set(answers) - {q.id for q in qn.questions})
    if unknown:
        raise InputError(
            f"{', '.join(map(repr, unknown))} {'is' if len(unknown) == 1 else 'are'} not "
            f"in the questionnaire {qn.ref}. Its questions are: "
            f"{', '.join(q.id for q in qn.questions)}."
        )
    out: dict[str, Any] = {}
    missing = []
    for q in qn.questions:
        value = answers.get(q.id)
        if value is None or value == "" or value == []:
            if q.required:
                missing.append(f"{q.id} ({q.text})")
            continue
        if q.type == "text":
            out[q.id] = str(value).strip()
        elif q.type == "choice":
            if str(value) not in q.values:
                raise InputError(
                    f"{value!r} is not an answer to {q.id!r}; choose one of: {', '.join(q.values)}."
                )
            out[q.id] = str(value)
        elif q.type == "multi":
            items = (
                value
                if isinstance(value, list)
                else [v.strip() for v in str(value).split(",") if v.strip()]
            )
            bad = [v for v in items if str(v) not in q.values]
            if bad:
                raise InputError(
                    f"{bad} {'is' if len(bad) == 1 else 'are'} not answers to {q.id!r}; "
                    f"choose from: {', '.join(q.values)}."
                )
            if "none" in items and len(items) > 1:
                raise InputError(f"The answer to {q.id!r} cannot be 'none' and something else.")
            out[q.id] = sorted({str(v) for v in items})
        elif q.type == "boolean":
            out[q.id] = _truthy(value, q.id)
        elif q.type == "date":
            try:
                out[q.id] = dt.date.fromisoformat(str(value)).isoformat()
            except ValueError as exc:
                raise InputError(f"The answer to {q.id!r} must be a date YYYY-MM-DD.") from exc
        else:
            try:
                out[q.id] = float(value) if "." in str(value) else int(value)
            except ValueError as exc:
                raise InputError(f"The answer to {q.id!r} must be a number.") from exc
    if missing:
        raise InputError(
            "The intake is missing required answers: " + "; ".join(missing) + ". Fill them in "
            "(`assay review questionnaire --template` prints an answers file)."
        )
    return out


def _holds(cond: Any, answers: Mapping[str, Any]) -> bool:
    if cond == "always":
        return True
    if "all" in cond:
        return all(_holds(c, answers) for c in cond["all"])
    if "any" in cond:
        return any(_holds(c, answers) for c in cond["any"])
    value = answers.get(cond["answer"])
    if value is None:
        return False
    if "equals" in cond:
        return bool(value == cond["equals"])
    if "any_of" in cond:
        return bool(set(value) & set(cond["any_of"]))
    return value in cond["in"]


def screen(qn: Questionnaire, answers: Mapping[str, Any], *, intake: dt.date) -> Screening:
    """Derive the tier, priority and due dates from validated answers.

    Parameters
    ----------
    qn
        The questionnaire.
    answers
        Output of :func:`check_answers`.
    intake
        The date the request was filed; both due dates count business days from it.
    """
    tier, reason = "minimal", ""
    for rule in qn.tier_rules:
        if _holds(rule["when"], answers):
            tier, reason = str(rule["tier"]), str(rule.get("reason", ""))
            break
    score = 0
    for qid, table in qn.points.items():
        value = answers.get(qid)
        if isinstance(value, list):
            score += sum(table.get(str(v), 0) for v in value)
        elif value is not None:
            score += table.get(str(value).lower() if isinstance(value, bool) else str(value), 0)
    priority = next(p for minimum, p in qn.bands if score >= minimum)
    floor = qn.tier_floor.get(tier)
    if floor is not None and PRIORITIES.index(floor) < PRIORITIES.index(priority):
        priority = floor
    flags = []
    for qid in ("prohibited_practices", "annex_iii_areas"):
        for v in answers.get(qid) or []:
            if v != "none":
                flags.append(f"{qid}:{v}")
    return Screening(
        tier=tier,
        tier_reason=reason,
        priority=priority,
        score=score,
        flags=tuple(flags),
        triage_due=add_business_days(intake, qn.triage_business_days),
        due_date=add_business_days(intake, qn.readiness_business_days[priority]),
    )
