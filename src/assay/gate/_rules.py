"""The gate: policy limits on evaluation results, and the governance state of a model version.

A failed fairness limit passes when an active waiver's control is the rule
(``fairness.demographic_parity_difference``) or ``fairness``. Governance rules, for the tier's
checkpoint in the policy:

- ``risk.open``: open risks rated in ``block_on_open_risks`` without an active waiver;
- ``waiver.expired``: approved waivers past their expiry whose risk is still open;
- ``evidence.<kind>``: evidence the checkpoint requires, missing or older than ``max_age_days``;
- ``completeness``: the documents' completeness score below ``minimum_completeness``;
- ``approval``: no approving decision on a review whose signed packet names this exact model
  version as the latest (only when the checkpoint names approvers).
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.errors import InputError, NotFoundError
from assay.gate._fairness import fairness_outcomes, read_result_file
from assay.gate._model import GateResult, RuleOutcome
from assay.policy import (
    EVALUATION_KINDS,
    Policy,
    blocking_risks,
    evidence_age_days,
    evidence_is_fresh,
    load_policy,
    minimum_percent,
    stored_kinds,
)

if TYPE_CHECKING:
    from assay.governance import ModelVersion, Workspace
    from assay.policy import Checkpoint

__all__ = ["evaluate_gate", "run_gate"]

#: The rule families a gate run can be limited to.
RULE_FAMILIES = ("fairness", "risk", "waiver", "evidence", "completeness", "approval")


def _resolve_model(ws: Workspace, system: str, ref: str) -> ModelVersion:
    from assay.governance import get_system, list_model_versions

    get_system(ws, system)
    versions = list_model_versions(ws, system)
    matches = [
        m
        for m in versions
        if ref in (m.version, f"{m.name}@{m.version}") or (m.registry_uri and ref == m.registry_uri)
    ]
    if not matches:
        known = ", ".join(f"{m.name}@{m.version}" for m in versions) or "none yet"
        raise NotFoundError(
            f"The model version {ref!r} of system {system!r} is not in the workspace "
            f"(registered: {known}). Register it with `assay model-version add {system} VERSION`."
        )
    if len(matches) > 1:
        options = ", ".join(f"{m.name}@{m.version}" for m in matches)
        raise InputError(f"{ref!r} matches several model versions of {system!r}: {options}.")
    return matches[0]


def _model_by_uri(ws: Workspace, uri: str) -> tuple[str, ModelVersion]:
    from assay.governance import list_model_versions, list_systems

    for sys_rec in list_systems(ws):
        for m in list_model_versions(ws, sys_rec.name):
            if m.registry_uri == uri:
                return sys_rec.name, m
    raise NotFoundError(
        f"No model version in the workspace has the registry URI {uri!r}. Register it with "
        f"`assay model-version add SYSTEM VERSION --registry-uri {uri}`."
    )


def _recorded_fairness(
    ws: Workspace, system: str, mv: ModelVersion
) -> list[tuple[dict[str, Any], str]]:
    from assay.governance import evidence_content, list_evidence

    records = list_evidence(
        ws, system=system, kind="fairness", model_version=f"{mv.name}@{mv.version}"
    )
    if not records:
        return []
    latest = max(records, key=lambda r: (r.created_at, r.id))
    payload = json.loads(evidence_content(ws, latest.ref))
    return [(payload, f"{latest.ref} (fairness evidence of {mv.name}@{mv.version})")]


def _waive_fairness(ws: Workspace, system: str, outcomes: list[RuleOutcome]) -> list[RuleOutcome]:
    """Failed fairness limits covered by an active waiver of that control pass, naming it."""
    from dataclasses import replace

    from assay.governance import list_waivers

    active = list_waivers(ws, system=system, active_only=True)
    out = []
    for o in outcomes:
        waiver = next((w for w in active if w.control in (o.rule, "fairness")), None)
        if o.passed or waiver is None:
            out.append(o)
            continue
        out.append(
            replace(
                o,
                status="pass",
                value=f"{o.value}, waived by {waiver.ref} until {waiver.expires_on}",
                message=f"{o.message} Waived by {waiver.ref} (control {waiver.control}).",
                fix="",
            )
        )
    return out


def _risk_outcomes(ws: Workspace, system: str, point: Checkpoint) -> list[RuleOutcome]:
    from assay.governance import ACTIVE_WAIVER_STATUSES, list_risks, list_waivers

    blocking = set(point.block_on_open_risks)
    waivers = list_waivers(ws, system=system)
    active = {w.risk for w in waivers if w.active and w.risk is not None}
    out = []
    # the one rule (assay.policy.blocking_risks), reported with the waived ones shown as passing
    open_risks = blocking_risks(list_risks(ws, system=system, open_only=True), blocking)
    for risk in open_risks:
        waived = risk.id in active
        waiver = next((w for w in waivers if w.active and w.risk == risk.id), None)
        out.append(
            RuleOutcome(
                rule="risk.open",
                status="pass" if waived else "fail",
                subject=f"{risk.ref}: {risk.title}",
                value=f"{risk.rating}, {risk.status}"
                + (f", waived by {waiver.ref} until {waiver.expires_on}" if waiver else ""),
                threshold=f"no open {'/'.join(sorted(blocking))} risk without an active waiver",
                message=(
                    f"{risk.ref} is open and rated {risk.rating}"
                    + (f"; waived by {waiver.ref}." if waiver else " with no active waiver.")
                ),
                fix=""
                if waived
                else (
                    f"Mitigate and close it (assay risk update {risk.ref} --status closed ...), or "
                    f"request and approve a waiver (assay waiver request {system} --risk {risk.ref}"
                    " ...; assay waiver approve WVR-N --rationale TEXT)."
                ),
                source="risk register",
            )
        )
    if not open_risks:
        out.append(
            RuleOutcome(
                "risk.open", "pass", system, "none", f"no open {'/'.join(sorted(blocking))} risk",
                "No open risk at a blocking rating.", source="risk register",
            )
        )  # fmt: skip
    open_ids = {r.id for r in list_risks(ws, system=system, open_only=True)}
    today = ws.today()
    for w in waivers:
        expired = w.status in ACTIVE_WAIVER_STATUSES and w.expires_on < today
        if expired and (w.risk is None or w.risk in open_ids):
            out.append(
                RuleOutcome(
                    rule="waiver.expired",
                    status="fail",
                    subject=f"{w.ref}: {w.control}",
                    value=f"expired {w.expires_on}",
                    threshold=f"in force on {today}",
                    message=f"{w.ref} expired on {w.expires_on} and what it covered is still open.",
                    fix=f"Renew it (assay waiver renew {w.ref} --expires YYYY-MM-DD) or close the "
                    "risk it covers.",
                    source="waivers",
                )
            )
    return out


def _record_command(kind: str, system: str, model: str) -> str:
    """The command that records evidence of ``kind`` the way the gate looks it up."""
    commands = {
        "fairness": f"assay evaluate fairness DATA ... --record --system {system} "
        f"--model-version {model}",
        "robustness": f"assay robustness run ... --record --system {system} "
        f"--model-version {model}",
        "redteam": f"assay redteam run --target URL ... --record --system {system} "
        f"--model-version {model}",
        "pii_scan": f"assay pii scan DATA --record --system {system} --model-version {model}",
        "quality": f"assay check data DATA --record --system {system} --model-version {model}",
        # `assay check drift` does not record: its JSON result is filed as evidence
        "drift": "assay check drift REFERENCE CURRENT -f json -o drift.json; "
        f"assay evidence add drift.json --kind drift --system {system} --model-version {model}",
    }
    return commands.get(
        kind, f"assay evidence add FILE --kind {kind} --system {system} --model-version {model}"
    )


def _evidence_outcomes(
    ws: Workspace, system: str, mv: ModelVersion, point: Checkpoint
) -> list[RuleOutcome]:
    from assay.governance import list_evidence

    today = ws.today()
    out = []
    for req in point.evidence:
        # evaluations are checked here; cards and datasheets are counted by completeness
        if req.kind not in EVALUATION_KINDS:
            continue
        records = []
        for kind in stored_kinds(req.kind):
            scoped = f"{mv.name}@{mv.version}" if req.kind == "fairness" else None
            records += list_evidence(ws, system=system, kind=kind, model_version=scoped)
        limit = f"recorded, at most {req.max_age_days} days old" if req.max_age_days else "recorded"
        fix = _record_command(req.kind, system, f"{mv.name}@{mv.version}")
        if not records:
            out.append(
                RuleOutcome(
                    f"evidence.{req.kind}", "fail", req.kind, "missing", limit,
                    f"No {req.kind} evidence is recorded for {system}"
                    + (f" model {mv.name}@{mv.version}." if req.kind == "fairness" else "."),
                    fix, "evidence store",
                )
            )  # fmt: skip
            continue
        latest = max(records, key=lambda r: (r.created_at, r.id))
        age = evidence_age_days(latest, today)
        expired = latest.valid_until is not None and latest.valid_until < today
        stale = not evidence_is_fresh(latest, req.max_age_days, today)
        out.append(
            RuleOutcome(
                f"evidence.{req.kind}",
                "fail" if stale else "pass",
                req.kind,
                f"{latest.ref}, {age} days old"
                + (f", valid until {latest.valid_until}" if expired else ""),
                limit,
                f"The latest {req.kind} evidence, {latest.ref}, is "
                + ("too old." if stale else "current."),
                fix if stale else "",
                "evidence store",
            )
        )
    return out


def _completeness_outcome(
    ws: Workspace, system: str, tier: str, checkpoint: str, policy: Policy
) -> RuleOutcome:
    """The completeness of the newest review of ``system`` at ``tier``: its review state
    (:func:`assay.documents.review_state`), the figures ``assay completeness REV-N`` and its
    packet show. Without such a review, the system's documents are scored the same way."""
    from assay.documents import review_state, system_completeness
    from assay.governance import list_reviews

    reviews = [r for r in list_reviews(ws, system=system) if r.tier == tier]
    newest = max(reviews, key=lambda r: r.id) if reviews else None
    if newest is not None:
        report = review_state(ws, newest.ref, checkpoint=checkpoint, policy=policy).completeness
        subject = f"{newest.ref} ({system} documents, {tier} {checkpoint})"
        every = f"every gap: assay completeness {newest.ref} --checkpoint {checkpoint}"
    else:
        report = system_completeness(ws, system, tier=tier, checkpoint=checkpoint, policy=policy)
        subject = f"{system} documents, {tier} {checkpoint} (no review yet)"
        every = f"by requirement: assay checklist {system} --tier {tier}"
    minimum = minimum_percent(policy.minimum_completeness)
    ok = report.passes
    gaps = report.gaps
    shown = "; ".join(f"{g.document}: {g.requirement} ({g.fix})" for g in gaps[:3])
    more = f"; and {len(gaps) - 3} more ({every})" if len(gaps) > 3 else ""
    return RuleOutcome(
        rule="completeness",
        status="pass" if ok else "fail",
        subject=subject,
        value=f"{report.score}%",
        threshold=f"at least {minimum:g}%",
        message=f"Completeness is {report.score}% with {len(gaps)} gap(s)"
        + ("." if report.consistent else ", and the documents contradict each other."),
        fix="" if ok else f"Fill the gaps: {shown}{more}",
        source="documents",
    )


def _approval_outcome(
    ws: Workspace, system: str, mv: ModelVersion, point: Checkpoint
) -> RuleOutcome:
    from assay.governance import list_approvals, list_reviews

    target = f"{mv.name}@{mv.version}"
    reviews = {r.id: r for r in list_reviews(ws, system=system)}
    found = None
    for approval in list_approvals(ws, subject_type="review"):  # newest first
        if approval.subject_id not in reviews:
            continue
        try:
            packet = json.loads(ws.blobs.read_bytes(approval.subject_sha256))
        except (OSError, ValueError):
            continue
        models = packet.get("model_versions") or packet.get("models") or []
        latest = models[-1] if isinstance(models, list) and models else None
        if isinstance(latest, Mapping) and latest.get("ref") == target:
            found = approval
            break
    ok = found is not None and found.decision in ("approved", "approved_with_conditions")
    value = "none" if found is None else f"{found.ref}: {found.decision} by {found.signer}"
    return RuleOutcome(
        rule="approval",
        status="pass" if ok else "fail",
        subject=target,
        value=value,
        threshold=f"an approving decision on a review of {target} ({', '.join(point.approvers)})",
        message=(
            f"{target} is approved ({value})."
            if ok
            else f"No approving decision covers {target}"
            + (f"; the last was {value}." if found else ".")
        ),
        fix=""
        if ok
        else f"Take a review of {system} to a decision after registering {target}: "
        "assay review advance REV-N in_evaluation; assay packet build REV-N; "
        "assay review advance REV-N ready_for_review; then a reviewer or approver who did not "
        "request it signs the packet: assay packet sign REV-N --decision approved --rationale TEXT",
        source="approvals",
    )


def evaluate_gate(
    policy: Policy,
    *,
    policy_path: str = "default policy",
    workspace: Workspace | None = None,
    system: str | None = None,
    model_version: str | None = None,
    model_uri: str | None = None,
    results: Sequence[Path | str | Mapping[str, Any]] = (),
    tier: str | None = None,
    checkpoint: str = "pre-launch",
    rules: Collection[str] | None = None,
) -> GateResult:
    """Evaluate every rule of the gate and return the decision (nothing is written).

    See :func:`run_gate` for the parameters.
    """
    _check_rule_families(rules)
    loaded = _loaded_results(results)
    if workspace is None:
        named = bool(system or model_version or model_uri)
        return _results_only(policy, policy_path, loaded, tier, checkpoint, named=named)
    system, mv = _gated_model(workspace, system, model_version, model_uri)
    tier_name = _tier_of(workspace, policy, system, tier)
    point = policy.checkpoint(tier_name, checkpoint)
    if not loaded:
        loaded = _recorded_fairness(workspace, system, mv)
    outcomes = [
        *_fairness_rule(workspace, policy, system, mv, loaded),
        *_risk_outcomes(workspace, system, point),
        *_evidence_outcomes(workspace, system, mv, point),
        _completeness_outcome(workspace, system, tier_name, checkpoint, policy),
    ]
    if point.approvers:
        outcomes.append(_approval_outcome(workspace, system, mv, point))
    outcomes, limited = _limited(outcomes, rules)
    return GateResult(
        f"{policy.name} {policy.version}", policy_path, system, f"{mv.name}@{mv.version}",
        tier_name, checkpoint, tuple(outcomes), rules=limited,
    )  # fmt: skip


def _check_rule_families(rules: Collection[str] | None) -> None:
    """Refuse a rule family the gate does not have."""
    if rules is not None and not set(rules) <= set(RULE_FAMILIES):
        unknown = ", ".join(sorted(set(rules) - set(RULE_FAMILIES)))
        raise InputError(f"Unknown gate rules: {unknown}. Rules are: {', '.join(RULE_FAMILIES)}.")


def _loaded_results(
    results: Sequence[Path | str | Mapping[str, Any]],
) -> list[tuple[dict[str, Any], str]]:
    """Each given result (a payload or a file), read and checked, with where it came from."""
    loaded: list[tuple[dict[str, Any], str]] = []
    for item in results:
        if isinstance(item, Mapping):
            from assay.evaluate import FairnessResult

            loaded.append((FairnessResult.from_dict(dict(item)).to_dict(), "result given"))
        else:
            loaded.append((read_result_file(Path(item)), str(item)))
    return loaded


def _results_only(
    policy: Policy,
    policy_path: str,
    loaded: list[tuple[dict[str, Any], str]],
    tier: str | None,
    checkpoint: str,
    *,
    named: bool,
) -> GateResult:
    """The gate of result files alone, without a workspace (``named``: a system or model was
    named, which needs one)."""
    if named:
        raise InputError("Gating a system or model version needs a workspace.")
    if not loaded:
        raise InputError(
            "Nothing to gate: give result files, or --system and --model-version (or "
            "--model-uri) in a workspace."
        )
    if tier is not None:
        policy.checkpoint(tier, checkpoint)
    return GateResult(
        f"{policy.name} {policy.version}", policy_path, None, None, tier, checkpoint,
        tuple(fairness_outcomes(policy, loaded)),
    )  # fmt: skip


def _gated_model(
    ws: Workspace, system: str | None, model_version: str | None, model_uri: str | None
) -> tuple[str, ModelVersion]:
    """The system and model version to gate, named by version or by registry URI."""
    if model_uri is not None:
        return _model_from_uri(ws, system, model_version, model_uri)
    if system is None or model_version is None:
        raise InputError(
            "Name what to gate: --system NAME with --model-version V, or --model-uri "
            "models:/NAME/VERSION (or only result files, without a workspace)."
        )
    return system, _resolve_model(ws, system, model_version)


def _model_from_uri(
    ws: Workspace, system: str | None, model_version: str | None, model_uri: str
) -> tuple[str, ModelVersion]:
    """The model version registered with ``model_uri``; with MLflow configured, one not
    registered yet is read from MLflow and registered under ``system``."""
    if model_version is not None:
        raise InputError("Give either --model-version or --model-uri, not both.")
    try:
        found_system, mv = _model_by_uri(ws, model_uri)
    except NotFoundError:
        if not os.environ.get("MLFLOW_TRACKING_URI"):
            raise
        found_system, mv = _register_from_mlflow(ws, system, model_uri)
    if system is not None and system != found_system:
        raise InputError(f"{model_uri} belongs to system {found_system!r}, not {system!r}.")
    return found_system, mv


def _register_from_mlflow(
    ws: Workspace, system: str | None, model_uri: str
) -> tuple[str, ModelVersion]:
    """Not registered yet: read it from MLflow and register it with its lineage."""
    from assay.integrations import read_mlflow_model, register_mlflow_model

    if system is None:
        raise InputError(
            f"{model_uri} is not registered in the workspace yet; give --system to "
            "register it from MLflow under that system."
        ) from None
    return system, register_mlflow_model(ws, system, read_mlflow_model(model_uri))


def _tier_of(ws: Workspace, policy: Policy, system: str, tier: str | None) -> str:
    """The risk tier whose checkpoint applies: ``tier``, else the system's; one the policy has."""
    from assay.governance import get_system

    tier_name = tier or get_system(ws, system).risk_tier
    if tier_name not in policy.tiers:
        raise InputError(
            f"System {system!r} has risk tier {tier_name!r}, which the policy '{policy.name}' "
            f"does not define ({', '.join(policy.tiers)}). Triage it first "
            "(assay review triage REV-N --tier TIER --owner NAME) or pass --tier."
        )
    return tier_name


def _fairness_rule(
    ws: Workspace,
    policy: Policy,
    system: str,
    mv: ModelVersion,
    loaded: list[tuple[dict[str, Any], str]],
) -> list[RuleOutcome]:
    """The fairness limits on the results (waivers applied); a failure when the policy sets
    limits and there is no result."""
    if loaded:
        return _waive_fairness(ws, system, fairness_outcomes(policy, loaded))
    if not policy.thresholds.fairness and not policy.thresholds.regression:
        return []
    return [
        RuleOutcome(
            "fairness.result", "fail", f"{mv.name}@{mv.version}", "no result",
            ", ".join(f"{k} {v}" for k, v in policy.thresholds.fairness.items()),
            "No fairness result was given and none is recorded for this model version.",
            f"assay evaluate fairness DATA ... --record --system {system} "
            f"--model-version {mv.name}@{mv.version}",
            "evidence store",
        )
    ]  # fmt: skip


def _limited(
    outcomes: list[RuleOutcome], rules: Collection[str] | None
) -> tuple[list[RuleOutcome], tuple[str, ...] | None]:
    """The outcomes of the rule families asked for, and those families (None: all of them)."""
    if rules is None or set(RULE_FAMILIES) <= set(rules):
        return outcomes, None
    limited = tuple(r for r in RULE_FAMILIES if r in rules)
    return [o for o in outcomes if o.rule.split(".")[0] in rules], limited


def record_gate(workspace: Workspace, result: GateResult) -> str:
    """File the decision as evidence of kind ``gate``; returns the evidence reference."""
    from assay.governance import record_derived

    # a run limited with --rules says so, so that it never reads as a pass of the whole gate
    only = f" ({', '.join(result.rules)} rules only)" if result.rules is not None else ""
    rec = record_derived(
        workspace,
        builder="assay gate",
        kind="gate",
        data=(json.dumps(result.to_dict(), indent=2, sort_keys=True) + "\n").encode("utf-8"),
        title=f"Gate {result.decision}{only}: {result.tier} {result.checkpoint} ({result.policy})",
        media_type="application/json",
        system=result.system,
        model_version=result.model_version,
        summary={
            "decision": result.decision,
            "failed": [o.rule for o in result.failures],
            "rules": len(result.outcomes),
        },
    )
    return rec.ref


def run_gate(
    workspace: Workspace | None = None,
    *,
    policy: Policy | str | Path | None = None,
    system: str | None = None,
    model_version: str | None = None,
    model_uri: str | None = None,
    results: Sequence[Path | str | Mapping[str, Any]] = (),
    tier: str | None = None,
    checkpoint: str = "pre-launch",
    rules: Collection[str] | None = None,
    record: bool = False,
) -> tuple[GateResult, str | None]:
    """Run the policy gate over evaluation results and a model version's governance state.

    Parameters
    ----------
    workspace
        The workspace holding the system; None to gate result files alone.
    policy
        A loaded policy, a policy file, or None for the shipped default policy.
    system, model_version
        The AI system and its model version (``version`` or ``name@version``).
    model_uri
        Instead of ``model_version``: the registry URI a model version was registered with
        (``models:/name/version``).
    results
        ``assay.fairness/v1`` result files or payloads; by default the latest fairness evidence
        recorded for the model version.
    tier
        The risk tier whose checkpoint applies; by default the system's tier.
    checkpoint
        The policy checkpoint, ``pre-launch`` by default.
    rules
        Only these rule families (``fairness``, ``risk``, ``waiver``, ``evidence``,
        ``completeness``, ``approval``); all by default.
    record
        File the decision as evidence of kind ``gate`` (needs a system).

    Returns
    -------
    tuple of GateResult and str or None
        The decision, and the reference of the evidence recorded (None unless ``record``).

    Raises
    ------
    assay.errors.AssayError
        A bad policy, a result file of the wrong schema, an unknown system or model version:
        never a pass.

    Examples
    --------
    >>> from assay.gate import run_gate
    >>> from assay.evaluate import fairness
    >>> import polars as pl
    >>> y = [0, 1] * 2000
    >>> frame = pl.DataFrame({"y": y, "p": y, "g": ["a", "b", "b", "a"] * 1000})
    >>> result = fairness(frame, y_true="y", y_pred="p", sensitive_features="g")
    >>> decision, _ = run_gate(results=[result.to_dict()])
    >>> decision.decision
    'pass'
    """
    pol, where = _policy_of(policy)
    result = evaluate_gate(
        pol,
        policy_path=where,
        workspace=workspace,
        system=system,
        model_version=model_version,
        model_uri=model_uri,
        results=results,
        tier=tier,
        checkpoint=checkpoint,
        rules=rules,
    )
    return result, (_record(workspace, result) if record else None)


def _policy_of(policy: Policy | str | Path | None) -> tuple[Policy, str]:
    """The policy to gate with, and how the result names where it came from."""
    if isinstance(policy, Policy):
        return policy, "given policy"
    return load_policy(policy), str(policy) if policy is not None else "default policy"


def _record(workspace: Workspace | None, result: GateResult) -> str:
    """File the decision as evidence of its system; the reference of the record."""
    if workspace is None or result.system is None:
        raise InputError("--record files the decision as evidence of a system: give --system.")
    return record_gate(workspace, result)
