"""The model card: the Hugging Face card's sections, filled from the store and from human text.

Automatic parts come from records: the model version and its training datasets (inventory), the
intended and out-of-scope use (the system record), metrics by group with confidence intervals (the
latest recorded fairness evaluation of this model version), monitoring (monitoring components and
evidence). Limitations, ethical considerations and recommendations are written by people and kept
as evidence (:mod:`assay.documents._sections`). Whatever is missing is a visible gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from assay.documents._sections import MODEL_CARD_SECTIONS, SectionSet, read_sections
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

__all__ = ["build_model_card", "card_fix"]

FAIRNESS_SCHEMA = "assay.fairness/v1"


_CARD_FIX = {
    "model": "assay card model {system} --section {section} --file TEXT.md",
    "system": "assay card system {system} --section {section} --file TEXT.md",
}


def card_fix(system: str, section: str, document: str = "model") -> str:
    """The command that fills a human-written section (``document``: model or system)."""
    return _CARD_FIX[document].format(system=system, section=section)


def _prose_or_gap(
    sections: SectionSet, key: str, system: System, *, document: str = "model"
) -> list[Block]:
    text = sections.text(key)
    if text is not None:
        return [Prose(text, sections.source(key))]
    spec = MODEL_CARD_SECTIONS.get(key)
    what = spec.title if spec else key.replace("_", " ").capitalize()
    question = f" {spec.question}" if spec else ""
    return [
        GapBlock(
            Gap(
                f"{what} — not written yet.{question}",
                system.owner,
                card_fix(system.name, key, document),
            )
        )
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


def _datasheet_status(ws: Workspace, dataset: str, owner: str) -> Cell:
    sheet = read_sections(ws, "datasheet", dataset)
    if sheet.record is None:
        return Gap(
            f"datasheet for {dataset}",
            owner,
            f"assay datasheet {dataset} --section motivation --file TEXT.md",
        )
    return Badge("present", f"{sheet.record.ref}")


def build_model_card(ws: Workspace, system: str, *, model_version: str | None = None) -> Document:
    """Build the model card of a system's model version from the store.

    Parameters
    ----------
    ws
        The workspace.
    system
        The system's name.
    model_version
        ``name@version`` or ``version``; default: the latest registered.

    Returns
    -------
    Document
        The card; ``data`` holds the model version, the evaluation cited, the headline metrics by
        group and the status of every section (what the completeness check reads).
    """
    from assay.governance import get_dataset_version, get_system, show_system

    sys_rec = get_system(ws, system)
    overview = show_system(ws, system)
    model = _find_model(ws, system, model_version)
    sections = read_sections(ws, "model_card", system)
    today = ws.today()
    status: dict[str, str] = {}
    cited: list[EvidenceRecord] = []
    owner = sys_rec.owner

    # -- which evaluation: the latest fairness evaluation of this model version ----------------
    evaluation = (
        latest_evidence(ws, system, "fairness", model_version=model.ref, schema=FAIRNESS_SCHEMA)
        if model is not None
        else None
    )
    newest_any = latest_evidence(ws, system, "fairness", schema=FAIRNESS_SCHEMA)
    result: dict[str, Any] = load_json(ws, evaluation) if evaluation is not None else {}
    if evaluation is not None:
        cited.append(evaluation)

    # 1. details
    details: list[Block] = []
    if model is None:
        details.append(
            GapBlock(
                Gap(
                    f"no model version of {system} is registered",
                    owner,
                    f"assay model-version add {system} VERSION --train-dataset NAME@VERSION",
                )
            )
        )
        status["details"] = "gap"
    else:
        details.append(
            Facts(
                (
                    ("Model", model.name),
                    ("Version", model.version),
                    ("Of system", system),
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
        status["details"] = "filled"
    if sections.text("details"):
        details.append(Prose(sections.text("details") or "", sections.source("details")))

    # 2-3. intended and out-of-scope use: the system record, plus what people added
    def use_section(key: str, from_system: str | None, fix: str) -> list[Block]:
        blocks: list[Block] = []
        if from_system:
            blocks.append(Prose(from_system, "From the system record (inventory)."))
        if sections.text(key):
            blocks.append(Prose(sections.text(key) or "", sections.source(key)))
        if not blocks:
            blocks.append(
                GapBlock(
                    Gap(
                        f"{MODEL_CARD_SECTIONS[key].title} — not stated.",
                        owner,
                        fix,
                    )
                )
            )
            status[key] = "gap"
        else:
            status[key] = "filled"
        return blocks

    intended = use_section(
        "intended_use", sys_rec.intended_use, f"assay system update {system} --intended-use TEXT"
    )
    out_of_scope = use_section(
        "out_of_scope_use",
        sys_rec.out_of_scope_use,
        f"assay system update {system} --out-of-scope-use TEXT",
    )

    # 4. training data
    training: list[Block] = []
    datasets = list(model.training_datasets) if model is not None else []
    if datasets:
        rows = []
        for ref in datasets:
            ds = get_dataset_version(ws, ref)
            rows.append(
                (
                    ref,
                    hash_cell(ds.digest),
                    count(ds.rows) if ds.rows is not None else None,
                    ds.source,
                    _datasheet_status(ws, ref, owner),
                )
            )
        training.append(
            Table(
                ("Dataset version", "Digest", "Rows", "Source", "Datasheet"),
                tuple(rows),
                numeric=(2,),
            )
        )
        status["training_data"] = "filled"
    else:
        training.append(
            GapBlock(
                Gap(
                    "the training datasets of this model version are not recorded",
                    owner,
                    "register the model version with its training data: "
                    f"assay model-version add {system} VERSION --train-dataset NAME@VERSION",
                )
            )
        )
        status["training_data"] = "gap"
    if sections.text("training_data"):
        training.append(
            Prose(sections.text("training_data") or "", sections.source("training_data"))
        )

    # 5-6. evaluation data and metrics
    eval_blocks, metric_blocks = _evaluation_blocks(
        ws, system, owner, model, evaluation, newest_any, result, sections, today
    )
    status["evaluation_data"] = "filled" if evaluation is not None else "gap"
    status["metrics"] = "filled" if evaluation is not None else "gap"

    # 7-9. human-written
    human = {
        key: _prose_or_gap(sections, key, sys_rec)
        for key in ("limitations", "ethical_considerations", "recommendations")
    }
    for key in human:
        status[key] = "filled" if sections.text(key) else "gap"

    # 10. monitoring
    monitoring: list[Block] = []
    specs = [c for c in overview.components if c.kind == "monitoring"]
    for c in specs:
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
    spec_ev = latest_evidence(ws, system, "monitoring_spec")
    if spec_ev is not None:
        monitoring.append(Para(f"Monitoring specification on record: {cite(spec_ev)}."))
        cited.append(spec_ev)
    if sections.text("monitoring"):
        monitoring.append(Prose(sections.text("monitoring") or "", sections.source("monitoring")))
    if not monitoring:
        monitoring.append(
            GapBlock(
                Gap(
                    "no monitoring specification (what is watched, thresholds, who is alerted)",
                    owner,
                    f"write a monitoring spec for {system}, then "
                    "assay monitor register --spec SPEC.yaml",
                )
            )
        )
        status["monitoring"] = "gap"
    else:
        status["monitoring"] = "filled"

    body = [
        Section("details", "Model details", tuple(details)),
        Section("intended-use", "Intended use", tuple(intended)),
        Section("out-of-scope-use", "Out-of-scope use", tuple(out_of_scope)),
        Section("training-data", "Training data", tuple(training)),
        Section("evaluation-data", "Evaluation data", tuple(eval_blocks)),
        Section(
            "metrics",
            "Metrics by group",
            tuple(metric_blocks),
            lead="Estimates with their confidence intervals, from the latest recorded fairness "
            "evaluation of this model version.",
        ),
        Section("limitations", "Limitations", tuple(human["limitations"])),
        Section(
            "ethical-considerations",
            "Ethical considerations",
            tuple(human["ethical_considerations"]),
        ),
        Section("recommendations", "Recommendations", tuple(human["recommendations"])),
        Section("monitoring", "Monitoring", tuple(monitoring)),
        Section(
            "evidence",
            "Evidence cited",
            (
                Table(
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
                        for r in (
                            [*cited, sections.record] if sections.record is not None else cited
                        )
                    ),
                    caption="Every number in this card comes from these records; "
                    "`assay evidence verify EV-N` re-checks one.",
                ),
            ),
        ),
    ]
    card_version: Cell = (
        sections.record.ref
        if sections.record is not None
        else Gap("no human-written sections recorded", owner, card_fix(system, "limitations"))
    )
    meta: tuple[tuple[str, Cell], ...] = (
        ("System", system),
        ("Model version", model.ref if model is not None else Gap("model version", owner)),
        ("Risk tier", sys_rec.risk_tier),
        ("Owner", owner),
        ("Card text", card_version),
        ("Evaluation", evaluation.ref if evaluation is not None else Gap("evaluation", owner)),
        ("Generated", short_date(ws.now())),
    )
    data = {
        "system": system,
        "model_version": model.ref if model is not None else None,
        "training_datasets": datasets,
        "evaluation": _ref(evaluation),
        "latest_evaluation": _ref(newest_any),
        "evaluated_features": evaluated_features(result),
        "declared_features": list(sections.fields.get("sensitive_features") or []),
        "metrics": headline_metrics(result) if result else {},
        "pinned": dict(sections.pinned),
        "sections_record": sections.record.ref if sections.record is not None else None,
        "section_status": status,
        "fields": dict(sections.fields),
        "cited": [_ref(r) for r in cited],
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
    ws: Workspace,
    system: str,
    owner: str,
    model: ModelVersion | None,
    evaluation: EvidenceRecord | None,
    newest_any: EvidenceRecord | None,
    result: Mapping[str, Any],
    sections: SectionSet,
    today: Any,
) -> tuple[list[Block], list[Block]]:
    eval_blocks: list[Block] = []
    metric_blocks: list[Block] = []
    fix = (
        f"assay evaluate fairness DATA ... --record --system {system} "
        f"--model-version {model.ref if model else 'VERSION'}"
    )
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
    from assay.governance import get_system

    tier = get_system(ws, system).risk_tier
    max_age = max_age_days(ws.policy, tier, "fairness", DEFAULT_CHECKPOINT)
    if not evidence_is_fresh(evaluation, max_age, today):
        metric_blocks.append(
            Callout(
                "warn",
                f"Evaluation older than the policy allows ({max_age} days for the {tier} tier)",
                text=f"{evaluation.ref} was recorded {short_date(evaluation.created_at)}; "
                "re-evaluate this model version and record it.",
            )
        )
    declared = [str(f) for f in as_list(sections.fields.get("sensitive_features"))]
    for feature in declared:
        if feature not in features:
            metric_blocks.append(
                GapBlock(
                    Gap(
                        f"no fairness evaluation on the declared sensitive feature '{feature}'",
                        owner,
                        fix,
                    )
                )
            )
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
