"""The model card: the Hugging Face card's sections, filled from the store and from human text.

Automatic parts come from records: the model version and its training datasets (inventory), the
intended and out-of-scope use (the system record), metrics by group with confidence intervals (the
latest recorded fairness evaluation of this model version), monitoring (monitoring components and
evidence). Limitations, ethical considerations and recommendations are written by people and kept
as evidence (:mod:`assay.documents._sections`). Whatever is missing is a visible gap. What a card is
built from and what the policy requires of it are in :mod:`assay.documents._card_context`; its
evaluation and metrics sections in :mod:`assay.documents._card_evaluation`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assay.documents._card_context import (
    FAIRNESS_SCHEMA,
    CardContext,
    card_fix,
    card_needs,
    monitoring_gap,
)
from assay.documents._card_evaluation import evaluation_blocks
from assay.documents._doc import (
    Badge,
    Block,
    Cell,
    Document,
    Facts,
    Gap,
    GapBlock,
    Para,
    Prose,
    Section,
    Table,
)
from assay.documents._gather import (
    cite,
    evaluated_features,
    hash_cell,
    headline_metrics,
    latest_evidence,
    load_json,
    short_date,
)
from assay.documents._mitigation import mitigation_blocks, mitigation_records
from assay.documents._owners import owner_of
from assay.documents._sections import MODEL_CARD_SECTIONS, SectionSet, read_sections
from assay.policy import DEFAULT_CHECKPOINT
from assay.render import as_list, as_mapping, count

if TYPE_CHECKING:
    from assay.governance import EvidenceRecord, ModelVersion, System, Workspace
    from assay.policy import Policy

__all__ = ["build_model_card"]


def _prose_or_gap(sections: SectionSet, key: str, system: System) -> list[Block]:
    text = sections.text(key)
    if text is not None:
        return [Prose(text, sections.source(key))]
    spec = MODEL_CARD_SECTIONS[key]
    return [
        Para(spec.question, muted=True),
        GapBlock(
            Gap(f"{spec.title} — not written yet", owner_of(system), card_fix(system.name, key))
        ),
    ]


def _find_model(ws: Workspace, system: str, model_version: str | None) -> ModelVersion | None:
    from assay.governance import list_model_versions

    versions = list_model_versions(ws, system)
    if model_version is None:
        return versions[-1] if versions else None
    for v in versions:
        if model_version in (v.ref, v.version):
            return v
    from assay.errors import NotFoundError

    raise NotFoundError(
        f"{system!r} has no model version {model_version!r}; it has: "
        f"{', '.join(v.ref for v in versions) or 'none'}."
    )


def _datasheet_status(card: CardContext, dataset: str) -> Cell:
    """A training dataset's datasheet: how many of the required answers it has (its unanswered
    sections are gaps of the datasheet itself, owned by the dataset's owner)."""
    from assay.governance import get_dataset_version

    sheet = read_sections(card.ws, "datasheet", dataset)
    wanted = card.need.datasheets
    if sheet.record is None:
        if wanted is None:
            return Badge("missing", "none (not required)")
        owner = owner_of(get_dataset_version(card.ws, dataset))
        return Badge("missing", f"not written: its gaps are in its datasheet (owner {owner})")
    if wanted is None:
        return Badge("present", sheet.record.ref)
    answered = sum(1 for key in wanted if sheet.text(key))
    return Badge(
        "present" if answered == len(wanted) else "partial",
        f"{sheet.record.ref}: {answered} of {len(wanted)} answered",
    )


def build_model_card(
    ws: Workspace,
    system: str,
    *,
    model_version: str | None = None,
    tier: str | None = None,
    checkpoint: str = DEFAULT_CHECKPOINT,
    policy: Policy | None = None,
) -> Document:
    """Build the model card of a system's model version from the store.

    Parameters
    ----------
    ws
        The workspace.
    system
        The system's name.
    model_version
        ``name@version`` or ``version``; default: the latest registered.
    tier
        The risk tier whose requirements apply; the system's tier when None.
    checkpoint
        The policy checkpoint of the system's tier whose requirements the card shows: which
        sections are required (gaps) and how old the fairness evaluation may be.
    policy
        The policy; the workspace's (:attr:`Workspace.policy`) when None.

    Returns
    -------
    Document
        The card; ``data`` holds the model version, the evaluation cited, the headline metrics by
        group and the status of every section (what the completeness check reads).
    """
    from assay.governance import get_system

    pol = policy if policy is not None else ws.policy
    sys_rec = get_system(ws, system)
    card = CardContext(
        ws,
        sys_rec,
        _find_model(ws, system, model_version),
        read_sections(ws, "model_card", system),
        card_needs(pol, tier or sys_rec.risk_tier, checkpoint),
        tier or sys_rec.risk_tier,
    )
    evaluated = _Evaluated.of(card)
    body = _body(card, evaluated)
    model = card.model
    return Document(
        kind="model_card",
        title=f"Model card: {model.ref if model is not None else system}",
        eyebrow="Responsible AI assurance · Model card",
        subtitle=sys_rec.purpose,
        meta=_meta(card, evaluated.evaluation),
        sections=tuple(body),
        data=_data(card, evaluated, body),
        footer=f"Model card of {system}",
    )


@dataclass(frozen=True)
class _Evaluated:
    """Which evaluation the card cites: the latest fairness evaluation of its model version (and
    its result), and the latest of any version of the system."""

    evaluation: EvidenceRecord | None
    newest_any: EvidenceRecord | None
    result: dict[str, Any]

    @classmethod
    def of(cls, card: CardContext) -> _Evaluated:
        """Find the evaluations of the card's system and model version; cite the one it uses."""
        ws, system, model = card.ws, card.system, card.model
        evaluation = (
            latest_evidence(ws, system, "fairness", model_version=model.ref, schema=FAIRNESS_SCHEMA)
            if model is not None
            else None
        )
        newest_any = latest_evidence(ws, system, "fairness", schema=FAIRNESS_SCHEMA)
        result: dict[str, Any] = load_json(ws, evaluation) if evaluation is not None else {}
        if evaluation is not None:
            card.cited.append(evaluation)
        return cls(evaluation, newest_any, result)


def _body(card: CardContext, evaluated: _Evaluated) -> list[Section]:
    """The card's sections, in order; each records whether it is filled in ``card.status``."""
    from assay.governance import show_system

    ws, system, sys_rec, sections, status = (
        card.ws,
        card.system,
        card.sys_rec,
        card.sections,
        card.status,
    )
    evaluation = evaluated.evaluation
    details = _details(card)
    intended = _use_section(
        card,
        "intended_use",
        sys_rec.intended_use,
        f"assay system update {system} --intended-use TEXT",
    )
    out_of_scope = _use_section(
        card,
        "out_of_scope_use",
        sys_rec.out_of_scope_use,
        f"assay system update {system} --out-of-scope-use TEXT",
    )
    training = _training(card)
    eval_blocks, metric_blocks = evaluation_blocks(
        card, evaluation, evaluated.newest_any, evaluated.result, ws.today()
    )
    status["evaluation_data"] = "filled" if evaluation is not None else "gap"
    status["metrics"] = "filled" if evaluation is not None else "gap"
    human = {
        key: _prose_or_gap(sections, key, sys_rec)
        for key in ("limitations", "ethical_considerations", "recommendations")
    }
    for key in human:
        status[key] = "filled" if sections.text(key) else "gap"
    monitoring = _monitoring(card, show_system(ws, system).components)
    opt = card.optional
    return [
        Section("details", "Model details", tuple(opt("details", details))),
        Section("intended-use", "Intended use", tuple(opt("intended_use", intended))),
        Section(
            "out-of-scope-use", "Out-of-scope use", tuple(opt("out_of_scope_use", out_of_scope))
        ),
        Section("training-data", "Training data", tuple(opt("training_data", training))),
        Section("evaluation-data", "Evaluation data", tuple(opt("evaluation_data", eval_blocks))),
        Section(
            "metrics",
            "Metrics by group",
            tuple(opt("metrics", metric_blocks)),
            lead="Estimates with their confidence intervals, from the latest recorded fairness "
            "evaluation of this model version.",
        ),
        *_mitigation_section(card),
        Section("limitations", "Limitations", tuple(opt("limitations", human["limitations"]))),
        Section(
            "ethical-considerations",
            "Ethical considerations",
            tuple(opt("ethical_considerations", human["ethical_considerations"])),
        ),
        Section(
            "recommendations",
            "Recommendations",
            tuple(opt("recommendations", human["recommendations"])),
        ),
        Section("monitoring", "Monitoring", tuple(opt("monitoring", monitoring))),
        Section("evidence", "Evidence cited", (_evidence_table(card),)),
    ]


def _mitigation_section(card: CardContext) -> list[Section]:
    """The latest mitigation of the card's model version (cited), when one is recorded."""
    if card.model is None:
        return []
    records = mitigation_records(card.ws, card.system, model_version=card.model.ref)
    if not records:
        return []
    record = records[0]
    card.cited.append(record)
    return [
        Section(
            "mitigation",
            "Mitigation",
            tuple(mitigation_blocks(load_json(card.ws, record), record)),
            lead="The trade-off chosen by the latest recorded mitigation of this model version, "
            "and what it cost.",
        )
    ]


def _meta(card: CardContext, evaluation: EvidenceRecord | None) -> tuple[tuple[str, Cell], ...]:
    """The card's header facts."""
    model, sections = card.model, card.sections
    return (
        ("System", card.system),
        ("Model version", model.ref if model is not None else Badge("missing", "none")),
        ("Risk tier", card.sys_rec.risk_tier),
        ("Owner", card.owner),
        ("Requirements", card.need.label),
        (
            "Card text",
            sections.record.ref if sections.record is not None else Badge("missing", "none"),
        ),
        ("Evaluation", evaluation.ref if evaluation is not None else Badge("missing", "none")),
        ("Generated", short_date(card.ws.now())),
    )


def _data(card: CardContext, evaluated: _Evaluated, body: Sequence[Section]) -> dict[str, Any]:
    """The card's data: what completeness, consistency checks and exports read."""
    model, sections, result = card.model, card.sections, evaluated.result
    return {
        "system": card.system,
        "model_version": model.ref if model is not None else None,
        "training_datasets": list(model.training_datasets) if model is not None else [],
        "evaluation": _ref(evaluated.evaluation),
        "latest_evaluation": _ref(evaluated.newest_any),
        "evaluated_features": evaluated_features(result),
        "declared_features": list(sections.fields.get("sensitive_features") or []),
        "metrics": headline_metrics(result) if result else {},
        "pinned": dict(sections.pinned),
        "sections_record": sections.record.ref if sections.record is not None else None,
        "section_status": card.status,
        "required_sections": list(card.need.sections),
        "datasheets_required": card.need.datasheets is not None,
        "section_gaps": _section_gaps(body, card.status),
        "feature_gaps": {k: _gap_dict(g) for k, g in card.feature_gaps.items()},
        "fields": dict(sections.fields),
        "cited": [_ref(r) for r in card.cited],
    }


def _gap_dict(gap: Gap) -> dict[str, Any]:
    return {"what": gap.what, "owner": gap.owner, "fix": gap.fix}


def _section_gaps(body: Sequence[Section], status: Mapping[str, str]) -> dict[str, Any]:
    """The gap of each required section that is not filled (what completeness counts), by key."""
    out: dict[str, Any] = {}
    for section in body:
        key = section.id.replace("-", "_")
        gaps = [b.gap for b in section.blocks if isinstance(b, GapBlock)]
        if gaps and status.get(key) == "gap":
            out[key] = _gap_dict(gaps[0])
    return out


def _details(card: CardContext) -> list[Block]:
    model, sections, owner = card.model, card.sections, card.owner
    details: list[Block] = []
    if model is None:
        details.append(
            GapBlock(
                Gap(
                    f"no model version of {card.system} is registered",
                    owner,
                    f"assay model-version add {card.system} VERSION --train-dataset NAME@VERSION",
                )
            )
        )
        card.status["details"] = "gap"
    else:
        details.append(
            Facts(
                (
                    ("Model", model.name),
                    ("Version", model.version),
                    ("Of system", card.system),
                    ("Model type", sections.fields.get("model_type")),
                    ("Developed by", sections.fields.get("developers") or owner),
                    ("Licence", sections.fields.get("license")),
                    ("Registered", f"{short_date(model.created_at)} by {model.created_by}"),
                    ("Registry URI", model.registry_uri),
                    ("Artifact sha256", hash_cell(model.artifact_sha256)),
                    ("Training code commit", hash_cell(model.code_commit)),
                )
            )
        )
        card.status["details"] = "filled"
    if sections.text("details"):
        details.append(Prose(sections.text("details") or "", sections.source("details")))
    return details


def _use_section(card: CardContext, key: str, from_system: str | None, fix: str) -> list[Block]:
    """Intended and out-of-scope use: the system record, plus what people added."""
    sections = card.sections
    blocks: list[Block] = []
    if from_system:
        blocks.append(Prose(from_system, "From the system record (inventory)."))
    if sections.text(key):
        blocks.append(Prose(sections.text(key) or "", sections.source(key)))
    if not blocks:
        blocks.append(
            GapBlock(
                Gap(
                    f"{MODEL_CARD_SECTIONS[key].title} — not stated",
                    card.owner,
                    fix,
                )
            )
        )
    card.status[key] = "filled" if blocks and not isinstance(blocks[0], GapBlock) else "gap"
    return blocks


def _training(card: CardContext) -> list[Block]:
    from assay.governance import get_dataset_version

    training: list[Block] = []
    datasets = list(card.model.training_datasets) if card.model is not None else []
    if datasets:
        rows = []
        for ref in datasets:
            ds = get_dataset_version(card.ws, ref)
            rows.append(
                (
                    ref,
                    hash_cell(ds.digest),
                    count(ds.rows) if ds.rows is not None else None,
                    ds.source,
                    _datasheet_status(card, ref),
                )
            )
        training.append(
            Table(
                ("Dataset version", "Digest", "Rows", "Source", "Datasheet"),
                tuple(rows),
                numeric=(2,),
            )
        )
        card.status["training_data"] = "filled"
    else:
        training.append(
            GapBlock(
                Gap(
                    "the training datasets of this model version are not recorded",
                    card.owner,
                    "register the model version with its training data: "
                    f"assay model-version add {card.system} VERSION --train-dataset NAME@VERSION",
                )
            )
        )
        card.status["training_data"] = "gap"
    text = card.sections.text("training_data")
    if text:
        training.append(Prose(text, card.sections.source("training_data")))
    return training


def _monitoring(card: CardContext, components: Sequence[Any]) -> list[Block]:
    monitoring: list[Block] = []
    for c in (c for c in components if c.kind == "monitoring"):
        spec_details = as_mapping(c.details)
        monitoring.append(
            Para(
                f"Specification {c.name}, version {c.version}: what is watched and when it alerts."
            )
        )
        monitoring.append(
            Table(
                ("Metric", "What is measured", "Alerts when"),
                tuple(
                    _monitoring_rows(
                        as_list(spec_details.get("metrics")), spec_details.get("alerts")
                    )
                ),
            )
        )
    spec_ev = latest_evidence(card.ws, card.system, "monitoring_spec")
    if spec_ev is not None:
        monitoring.append(Para(f"Monitoring specification on record: {cite(spec_ev)}."))
        card.cited.append(spec_ev)
    text = card.sections.text("monitoring")
    if text:
        monitoring.append(Prose(text, card.sections.source("monitoring")))
    if not monitoring:
        monitoring.append(GapBlock(monitoring_gap(card.sys_rec)))
    card.status["monitoring"] = "gap" if isinstance(monitoring[0], GapBlock) else "filled"
    return monitoring


def _evidence_table(card: CardContext) -> Table:
    records = [*card.cited, card.sections.record] if card.sections.record else card.cited
    return Table(
        ("Evidence", "Kind", "Recorded", "By", "Blob sha256", "Content hash"),
        tuple(
            (
                r.ref,
                r.kind,
                short_date(r.created_at),
                r.created_by,
                hash_cell(r.blob_sha256),
                hash_cell(r.content_hash),
            )
            for r in records
        ),
        caption="Every number in this card comes from these records; "
        "`assay evidence verify EV-N` re-checks one.",
    )


def _ref(record: EvidenceRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "ref": record.ref,
        "kind": record.kind,
        "blob_sha256": record.blob_sha256,
        "content_hash": record.content_hash,
        "created_at": record.created_at.isoformat(),
        "model_version": record.model_version,
    }


def _monitoring_rows(metrics: list[Any], alerts: Any) -> list[tuple[str, str, str]]:
    """One row per watched metric of a monitoring spec's details, with the alerts on it."""
    rules = [as_mapping(a) for a in as_list(alerts)]
    rows = []
    for metric in metrics:
        m = as_mapping(metric)
        if not m:
            rows.append((str(metric), "", ""))
            continue
        name = str(m.get("name", ""))
        what = " ".join(str(m[k]) for k in ("kind", "statistic") if m.get(k))
        if m.get("column"):
            what += f" of {m['column']}"
        group = as_mapping(m.get("group"))
        if group:
            what += " in " + ", ".join(f"{k}={v}" for k, v in group.items())
        when = []
        for rule in rules:
            if rule.get("metric") != name:
                continue
            text = f"{rule.get('condition', '')}".strip()
            consecutive = rule.get("consecutive")
            if isinstance(consecutive, int) and consecutive > 1:
                text += f" in {consecutive} consecutive windows"
            if rule.get("severity"):
                text += f" ({rule['severity']})"
            when.append(text)
        rows.append((name, what, "; ".join(when) or "—"))
    return rows
