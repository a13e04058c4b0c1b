"""The model card: the Hugging Face card's sections, filled from the store and from human text.

Automatic parts come from records: the model version and its training datasets (inventory), the
intended and out-of-scope use (the system record), metrics by group with confidence intervals (the
latest recorded fairness evaluation of this model version), monitoring (monitoring components and
evidence). Limitations, ethical considerations and recommendations are written by people and kept
as evidence (:mod:`assay.documents._sections`). Whatever is missing is a visible gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assay import render as rendering
from assay.documents._doc import (
    Badge,
    Block,
    Callout,
    Cell,
    Document,
    Facts,
    Figure,
    Gap,
    GapBlock,
    Para,
    Prose,
    Section,
    Table,
)
from assay.documents._gather import (
    HEADLINE_METRICS,
    cite,
    evaluated_features,
    hash_cell,
    headline_metrics,
    latest_evidence,
    load_json,
    short_date,
)
from assay.documents._owners import owner_of
from assay.documents._sections import (
    DATASHEET_REQUIRED,
    MODEL_CARD_SECTIONS,
    SectionSet,
    read_sections,
)
from assay.policy import DEFAULT_CHECKPOINT, evidence_is_fresh, max_age_days
from assay.render import (
    as_list,
    as_mapping,
    count,
    estimate,
    group_label,
    grouping_label,
    limit_text,
    metric_label,
    verdict_label,
)

if TYPE_CHECKING:
    from assay.governance import EvidenceRecord, ModelVersion, System, Workspace
    from assay.policy import Policy

__all__ = [
    "CardNeeds",
    "build_model_card",
    "card_fix",
    "card_needs",
    "feature_gap",
    "monitoring_gap",
]

FAIRNESS_SCHEMA = "assay.fairness/v1"


_CARD_FIX = {
    "model": "assay card model {system} --section {section} --file TEXT.md",
    "system": "assay card system {system} --section {section} --file TEXT.md",
}


def card_fix(system: str, section: str, document: str = "model") -> str:
    """The command that fills a human-written section (``document``: model or system)."""
    return _CARD_FIX[document].format(system=system, section=section)


def monitoring_gap(system: System) -> Gap:
    """The gap of a system without a monitoring specification: the card's and completeness's."""
    return Gap(
        "no monitoring specification (what is watched, thresholds, who is alerted)",
        owner_of(system),
        f"write a monitoring spec for {system.name}, then assay monitor register --spec SPEC.yaml",
    )


def feature_gap(system: System, feature: str, model: str | None) -> Gap:
    """The gap of a declared sensitive feature the model version's evaluation does not cover."""
    return Gap(
        f"no fairness evaluation on the declared sensitive feature '{feature}'",
        owner_of(system),
        _fairness_fix(system.name, model),
    )


def _fairness_fix(system: str, model: str | None) -> str:
    return (
        f"assay evaluate fairness DATA ... --record --system {system} "
        f"--model-version {model or 'VERSION'}"
    )


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


@dataclass
class _Card:
    """What the sections of one card are built from, and what they found."""

    ws: Workspace
    sys_rec: System
    model: ModelVersion | None
    sections: SectionSet
    need: CardNeeds
    tier: str
    status: dict[str, str] = field(default_factory=dict)
    cited: list[EvidenceRecord] = field(default_factory=list)
    feature_gaps: dict[str, Gap] = field(default_factory=dict)

    @property
    def system(self) -> str:
        return self.sys_rec.name

    @property
    def owner(self) -> str:
        return owner_of(self.sys_rec)

    def optional(self, key: str, blocks: list[Block]) -> list[Block]:
        """A section the checkpoint does not require shows what is missing without a gap."""
        if key in self.need.sections:
            return blocks
        return [
            Para(f"{b.gap.what} (not required at {self.need.label}).", muted=True)
            if isinstance(b, GapBlock)
            else b
            for b in blocks
        ]


@dataclass(frozen=True)
class CardNeeds:
    """What the policy requires of a card at one checkpoint of the system's tier."""

    sections: tuple[str, ...]
    """The card sections that must be filled (all of them when the tier has no requirement)."""
    max_age_days: int | None
    """How old the fairness evaluation may be (None: no limit, or none required)."""
    datasheets: tuple[str, ...] | None
    """The datasheet sections each training dataset needs; None when no datasheet is required."""
    label: str
    """``the high pre-launch checkpoint of Assay default policy 1.0``, for the card's text."""


def card_needs(pol: Policy, tier: str, checkpoint: str) -> CardNeeds:
    """The card's requirements for ``checkpoint`` of ``tier`` under ``pol``.

    A tier the policy does not define (unassessed, prohibited) needs every section and no age.
    """
    if tier not in pol.tiers or checkpoint not in pol.tiers[tier].checkpoints:
        return CardNeeds(tuple(MODEL_CARD_SECTIONS), None, DATASHEET_REQUIRED, "any checkpoint")
    reqs = {r.kind: r for r in pol.checkpoint(tier, checkpoint).evidence}
    card = reqs.get("model_card")
    fairness = reqs.get("fairness")
    sheet = reqs.get("datasheet")
    return CardNeeds(
        sections=(card.sections or tuple(MODEL_CARD_SECTIONS)) if card is not None else (),
        max_age_days=max_age_days(pol, tier, "fairness", checkpoint) if fairness else None,
        datasheets=(sheet.sections or DATASHEET_REQUIRED) if sheet is not None else None,
        label=f"the {tier} {checkpoint} checkpoint of {pol.name} {pol.version}",
    )


def _datasheet_status(card: _Card, dataset: str) -> Cell:
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
    from assay.governance import get_system, show_system

    pol = policy if policy is not None else ws.policy
    sys_rec = get_system(ws, system)
    card = _Card(
        ws,
        sys_rec,
        _find_model(ws, system, model_version),
        read_sections(ws, "model_card", system),
        card_needs(pol, tier or sys_rec.risk_tier, checkpoint),
        tier or sys_rec.risk_tier,
    )
    model, sections, status, owner = card.model, card.sections, card.status, card.owner
    # -- which evaluation: the latest fairness evaluation of this model version ----------------
    evaluation = (
        latest_evidence(ws, system, "fairness", model_version=model.ref, schema=FAIRNESS_SCHEMA)
        if model is not None
        else None
    )
    newest_any = latest_evidence(ws, system, "fairness", schema=FAIRNESS_SCHEMA)
    result: dict[str, Any] = load_json(ws, evaluation) if evaluation is not None else {}
    if evaluation is not None:
        card.cited.append(evaluation)
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
    eval_blocks, metric_blocks = _evaluation_blocks(
        card, evaluation, newest_any, result, ws.today()
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
    body = [
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
    meta: tuple[tuple[str, Cell], ...] = (
        ("System", system),
        ("Model version", model.ref if model is not None else Badge("missing", "none")),
        ("Risk tier", sys_rec.risk_tier),
        ("Owner", owner),
        ("Requirements", card.need.label),
        (
            "Card text",
            sections.record.ref if sections.record is not None else Badge("missing", "none"),
        ),
        ("Evaluation", evaluation.ref if evaluation is not None else Badge("missing", "none")),
        ("Generated", short_date(ws.now())),
    )
    data = {
        "system": system,
        "model_version": model.ref if model is not None else None,
        "training_datasets": list(model.training_datasets) if model is not None else [],
        "evaluation": _ref(evaluation),
        "latest_evaluation": _ref(newest_any),
        "evaluated_features": evaluated_features(result),
        "declared_features": list(sections.fields.get("sensitive_features") or []),
        "metrics": headline_metrics(result) if result else {},
        "pinned": dict(sections.pinned),
        "sections_record": sections.record.ref if sections.record is not None else None,
        "section_status": status,
        "required_sections": list(card.need.sections),
        "datasheets_required": card.need.datasheets is not None,
        "section_gaps": _section_gaps(body, status),
        "feature_gaps": {k: _gap_dict(g) for k, g in card.feature_gaps.items()},
        "fields": dict(sections.fields),
        "cited": [_ref(r) for r in card.cited],
    }
    return Document(
        kind="model_card",
        title=f"Model card: {model.ref if model is not None else system}",
        eyebrow="Responsible AI assurance · Model card",
        subtitle=sys_rec.purpose,
        meta=meta,
        sections=tuple(body),
        data=data,
        footer=f"Model card of {system}",
    )


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


def _details(card: _Card) -> list[Block]:
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


def _use_section(card: _Card, key: str, from_system: str | None, fix: str) -> list[Block]:
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


def _training(card: _Card) -> list[Block]:
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


def _monitoring(card: _Card, components: Sequence[Any]) -> list[Block]:
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


def _evidence_table(card: _Card) -> Table:
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


def _evaluation_blocks(
    card: _Card,
    evaluation: EvidenceRecord | None,
    newest_any: EvidenceRecord | None,
    result: Mapping[str, Any],
    today: Any,
) -> tuple[list[Block], list[Block]]:
    system, owner, model, sections = card.system, card.owner, card.model, card.sections
    eval_blocks: list[Block] = []
    metric_blocks: list[Block] = []
    fix = _fairness_fix(system, model.ref if model else None)
    if (
        newest_any is not None
        and model is not None
        and (evaluation is None or newest_any.ref != evaluation.ref)
        and newest_any.model_version != model.ref
    ):
        metric_blocks.append(
            Callout(
                "fail",
                "The latest evaluation is of another model version",
                text=f"{newest_any.ref} evaluated {newest_any.model_version}, not this card's "
                f"{model.ref}. Evaluate {model.ref}, or write the card for the evaluated version.",
            )
        )
    if evaluation is None:
        gap = Gap(
            "no fairness evaluation of this model version is recorded",
            owner,
            fix,
        )
        return [GapBlock(gap)], [*metric_blocks, GapBlock(gap)]
    features = evaluated_features(result)
    params = as_mapping(result.get("params"))
    eval_blocks.append(
        Facts(
            (
                ("Dataset", evaluation.dataset_version or "not registered as a dataset version"),
                ("Dataset digest", hash_cell(evaluation.dataset_digest)),
                ("Rows evaluated", count(result.get("n")) if result.get("n") is not None else None),
                ("Sensitive features", ", ".join(features) or None),
                ("Label column", params.get("y_true")),
                (
                    "Prediction",
                    f"score ≥ {params['threshold']}"
                    if params.get("threshold") is not None
                    else params.get("y_pred"),
                ),
                ("Model version evaluated", evaluation.model_version),
                ("Code commit", hash_cell(evaluation.code_commit)),
                ("Recorded", f"{short_date(evaluation.created_at)} by {evaluation.created_by}"),
                ("Evidence", evaluation.ref),
            )
        )
    )
    if sections.text("evaluation_data"):
        eval_blocks.append(
            Prose(sections.text("evaluation_data") or "", sections.source("evaluation_data"))
        )
    max_age = card.need.max_age_days
    tier = card.tier
    if not evidence_is_fresh(evaluation, max_age, today):
        title = (
            f"Evaluation older than the policy allows ({max_age} days for the {tier} tier)"
            if max_age is not None
            else "Evaluation past its valid-until date"
        )
        metric_blocks.append(
            Callout(
                "warn",
                title,
                text=f"{evaluation.ref} was recorded {short_date(evaluation.created_at)}; "
                "re-evaluate this model version and record it.",
            )
        )
    declared = [str(f) for f in as_list(sections.fields.get("sensitive_features"))]
    for feature in declared:
        if feature not in features:
            card.feature_gaps[feature] = feature_gap(
                card.sys_rec, feature, model.ref if model else None
            )
            metric_blocks.append(GapBlock(card.feature_gaps[feature]))
    source = cite(evaluation)
    verdicts = [as_mapping(v) for v in as_list(result.get("verdicts"))]
    if verdicts:
        metric_blocks.append(
            Table(
                ("Check", "Grouping", "Verdict", "Estimate [CI]", "Limit"),
                tuple(
                    (
                        metric_label(str(v.get("rule", ""))),
                        grouping_label([str(b) for b in as_list(v.get("by"))]),
                        Badge(
                            str(v.get("verdict", "unknown")),
                            verdict_label(str(v.get("verdict", "unknown"))),
                        ),
                        estimate(v.get("estimate")).text,
                        f"{v.get('direction', '')} {limit_text(v.get('limit'))}".strip(),
                    )
                    for v in verdicts
                ),
                caption="Checks against the limits set for the evaluation",
                source=source,
            )
        )
    metrics = headline_metrics(result)
    names = [
        m for m in HEADLINE_METRICS if any(m in g for gr in metrics.values() for g in gr.values())
    ]
    for grouping, groups in metrics.items():
        if grouping == "overall":
            continue
        overall = metrics.get("overall", {}).get("all rows", {})
        rows: list[tuple[Cell, ...]] = []
        for label, values in [("Overall", overall), *groups.items()]:
            rows.append(
                (
                    label,
                    count(values.get("n")) if values.get("n") is not None else None,
                    *(estimate(values.get(m)).text for m in names),
                )
            )
        metric_blocks.append(
            Table(
                ("Group", "n", *(metric_label(m) for m in names)),
                tuple(rows),
                caption=f"By {grouping}: estimate [95% CI]",
                numeric=tuple(range(1, 2 + len(names))),
                source=source,
            )
        )
    summaries = [as_mapping(s) for s in as_list(result.get("summaries"))]
    if summaries:
        keys = [
            k
            for k in (
                "demographic_parity_difference",
                "demographic_parity_ratio",
                "equalized_odds_difference",
                "equal_opportunity_difference",
            )
            if any(k in s for s in summaries)
        ]
        metric_blocks.append(
            Table(
                ("Grouping", *(metric_label(k) for k in keys)),
                tuple(
                    (
                        grouping_label([str(b) for b in as_list(s.get("by"))]),
                        *(estimate(s.get(k)).text for k in keys),
                    )
                    for s in summaries
                ),
                caption="Disparities across groups: estimate [95% CI]",
                numeric=tuple(range(1, 1 + len(keys))),
                source=source,
            )
        )
    figure = _figure(result)
    if figure is not None:
        metric_blocks.append(figure)
    if sections.text("metrics"):
        metric_blocks.append(Prose(sections.text("metrics") or "", sections.source("metrics")))
    return eval_blocks, metric_blocks


def _figure(result: Mapping[str, Any]) -> Figure | None:
    groups = [as_mapping(g) for g in as_list(result.get("groups"))]
    single = [g for g in groups if len(as_list(g.get("by"))) == 1]
    if not single:
        return None
    labels = [group_label(dict(as_mapping(g.get("group")))) for g in single]
    overall = as_mapping(as_mapping(result.get("overall")).get("metrics"))
    panels: list[rendering.DotPanel] = []
    for metric in ("selection_rate", "tpr", "fpr"):
        points: Sequence[rendering.Interval] = [
            _interval(as_mapping(g.get("metrics")).get(metric)) for g in single
        ]
        if all(p.value is None for p in points):
            continue
        ref = estimate(overall.get(metric)).value
        panels.append(
            rendering.DotPanel(
                metric_label(metric),
                points,
                reference=ref,
                reference_label="overall",
                bounds=(0.0, 1.0),
            )
        )
    if not panels:
        return None
    svg = rendering.dot_whisker(
        labels,
        panels,
        title="Selection rate, TPR and FPR by group",
        annotations=[f"n={count(g.get('n'))}" for g in single],
        annotation_title="rows",
        flagged=[bool(g.get("small")) for g in single],
        flagged_label="fewer rows than the minimum group size",
    )
    return Figure(
        svg,
        "Each dot is a group's estimate with its 95% confidence interval; the dashed line is the "
        "overall value.",
    )


def _interval(entry: Any) -> rendering.Interval:
    e = estimate(entry)
    return rendering.Interval(e.value, e.low, e.high)


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
