"""Completeness and consistency of a review's documents and evidence, against the policy.

For the review's tier and checkpoint, every evidence requirement of the policy becomes one or more
items (a card section, a datasheet per training dataset, a fairness evaluation per declared
sensitive feature, fresh enough...), plus the system fields a card needs and the traceability of
each evaluation cited. The score is the share of items present; every missing item is a gap with
an owner (:mod:`assay.documents._owners`) and the command that fills it. A missing card section or
datasheet answer is the very gap the document shows (same words, owner and fix), read from the
documents the review's packet freezes (:mod:`assay.documents._review_documents`). Consistency
checks compare the card with the latest evaluation and with the datasheets.

This is the completeness part of a review's state (:func:`assay.documents.review_state`); the
packet, the documents, the web pages, ``assay completeness``, the gate and the KPIs show that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assay.documents._gather import evaluated_features, headline_metrics, load_json
from assay.documents._owners import owner_of
from assay.documents._review_documents import ReviewDocuments, build_review_documents
from assay.documents._sections import (
    DATASHEET_REQUIRED,
    DATASHEET_SECTIONS,
    MODEL_CARD_SECTIONS,
    SYSTEM_CARD_SECTIONS,
    read_sections,
)
from assay.evaluate import FairnessResult
from assay.policy import evidence_is_fresh, meets_minimum, minimum_percent, stored_kinds
from assay.render import as_list, as_mapping

if TYPE_CHECKING:
    from assay.governance import EvidenceRecord, System, Workspace
    from assay.policy import Checkpoint, EvidenceRequirement, Policy

__all__ = [
    "CheckItem",
    "CompletenessReport",
    "ConsistencyCheck",
    "review_completeness",
    "system_completeness",
]

SYSTEM_FIELDS = (
    ("purpose", "assay system update {system} --purpose TEXT"),
    ("intended_use", "assay system update {system} --intended-use TEXT"),
    ("out_of_scope_use", "assay system update {system} --out-of-scope-use TEXT"),
)


@dataclass(frozen=True)
class CheckItem:
    """One required field or piece of evidence, and whether it is there."""

    document: str
    requirement: str
    status: str
    """``present``, ``missing`` or ``stale`` (present but too old)."""
    owner: str | None = None
    fix: str = ""
    evidence: str | None = None

    @property
    def present(self) -> bool:
        return self.status == "present"

    def to_dict(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "requirement": self.requirement,
            "status": self.status,
            "owner": self.owner,
            "fix": self.fix,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class ConsistencyCheck:
    """One consistency check between documents and evidence."""

    key: str
    label: str
    ok: bool
    detail: str
    owner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "ok": self.ok,
            "detail": self.detail,
            "owner": self.owner,
        }


@dataclass(frozen=True)
class CompletenessReport:
    """The completeness of a system's documents and evidence for one checkpoint of its tier."""

    system: str
    review: str | None
    tier: str
    checkpoint: str
    policy: str
    minimum: float
    items: tuple[CheckItem, ...]
    consistency: tuple[ConsistencyCheck, ...] = field(default=())

    @property
    def score(self) -> float:
        """Percent of items present, 0–100 (100 when nothing is required)."""
        if not self.items:
            return 100.0
        return round(100.0 * sum(i.present for i in self.items) / len(self.items), 1)

    @property
    def by_document(self) -> dict[str, tuple[int, int, float]]:
        """document → (present, required, percent)."""
        out: dict[str, list[int]] = {}
        for item in self.items:
            counts = out.setdefault(item.document, [0, 0])
            counts[0] += item.present
            counts[1] += 1
        return {k: (p, n, round(100.0 * p / n, 1)) for k, (p, n) in out.items()}

    @property
    def gaps(self) -> list[CheckItem]:
        """The items not present, in the order they were checked."""
        return [i for i in self.items if not i.present]

    @property
    def consistent(self) -> bool:
        return all(c.ok for c in self.consistency)

    @property
    def passes(self) -> bool:
        """Score at or above the policy's minimum, and every consistency check passes."""
        return meets_minimum(self.score, self.minimum, consistent=self.consistent)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "assay.completeness/v1",
            "system": self.system,
            "review": self.review,
            "tier": self.tier,
            "checkpoint": self.checkpoint,
            "policy": self.policy,
            "minimum_percent": minimum_percent(self.minimum),
            "score": self.score,
            "passes": self.passes,
            "by_document": {
                k: {"present": p, "required": n, "percent": pct}
                for k, (p, n, pct) in self.by_document.items()
            },
            "items": [i.to_dict() for i in self.items],
            "gaps": [i.to_dict() for i in self.gaps],
            "consistency": [c.to_dict() for c in self.consistency],
        }


def review_completeness(
    ws: Workspace,
    review: str | int,
    *,
    checkpoint: str | None = None,
    policy: Policy | None = None,
) -> CompletenessReport:
    """Completeness and consistency of a review (``REV-3``), for its tier's checkpoint.

    The completeness part of :func:`assay.documents.review_state`, which every consumer renders.

    Parameters
    ----------
    ws
        The workspace.
    review
        The review, ``REV-3`` or ``3``; its tier (set at triage) picks the requirements.
    checkpoint
        The policy checkpoint; the review's (``pre-launch`` unless triage named another) when None.
    policy
        The policy; the workspace's when None.
    """
    from assay.documents._review_state import review_state

    return review_state(ws, review, checkpoint=checkpoint, policy=policy).completeness


def system_completeness(
    ws: Workspace,
    system: str,
    *,
    tier: str | None = None,
    checkpoint: str = "pre-launch",
    policy: Policy | None = None,
    review: str | None = None,
    documents: ReviewDocuments | None = None,
) -> CompletenessReport:
    """Completeness and consistency of a system's documents for a tier's checkpoint.

    ``tier`` defaults to the system's risk tier. A tier the policy does not define (unassessed,
    prohibited) yields one gap: the system must be triaged first. ``documents`` are the documents
    to count (built for the tier and checkpoint when None); a review's state passes the ones its
    packet freezes. Every gap's owner follows :data:`~assay.documents._owners.OWNER_RULE`.
    """
    from assay.governance import get_system

    pol = policy if policy is not None else ws.policy
    sys_rec = get_system(ws, system)
    tier_name = tier or sys_rec.risk_tier
    owner = owner_of(sys_rec)
    if tier_name not in pol.tiers:
        item = CheckItem(
            "review",
            f"a risk tier the policy defines ({', '.join(pol.tiers)}); the system is {tier_name!r}",
            "missing",
            owner,
            "assay review triage REV-N --tier high|limited|minimal --owner NAME",
        )
        return CompletenessReport(
            system, review, tier_name, checkpoint, pol.name, pol.minimum_completeness, (item,)
        )
    point: Checkpoint = pol.checkpoint(tier_name, checkpoint)
    if documents is None:
        documents = build_review_documents(
            ws, system, tier=tier_name, checkpoint=checkpoint, policy=pol
        )
    checker = _Checker(ws, sys_rec, documents)
    items: list[CheckItem] = []
    for key, fix in SYSTEM_FIELDS:
        value = getattr(sys_rec, key)
        items.append(
            CheckItem(
                "system",
                f"system field {key.replace('_', ' ')}",
                "present" if value else "missing",
                owner,
                fix.format(system=system),
            )
        )
    for req in point.evidence:
        items.extend(checker.requirement(req))
    items.extend(checker.traceability())
    return CompletenessReport(
        system=system,
        review=review,
        tier=tier_name,
        checkpoint=checkpoint,
        policy=f"{pol.name} {pol.version}",
        minimum=pol.minimum_completeness,
        items=tuple(items),
        consistency=tuple(checker.consistency()),
    )


def _from_gap(document: str, gap: Mapping[str, Any], evidence: str | None = None) -> CheckItem:
    """A missing item that is a document's gap: the same words, owner and fix."""
    return CheckItem(
        document,
        str(gap.get("what")),
        "missing",
        gap.get("owner"),
        str(gap.get("fix") or ""),
        evidence,
    )


class _Checker:
    """Works out the items of each requirement from the review's documents."""

    def __init__(self, ws: Workspace, sys_rec: System, documents: ReviewDocuments) -> None:
        self.ws = ws
        self.sys_rec = sys_rec
        self.system = sys_rec.name
        self.owner = owner_of(sys_rec)
        self.today = ws.today()
        self.documents = documents
        self.card_data: Mapping[str, Any] = documents.model_card.data
        self.cited: dict[str, EvidenceRecord] = {}

    def _datasets(self) -> list[str]:
        return [str(d) for d in as_list(self.card_data.get("training_datasets"))]

    def requirement(self, req: EvidenceRequirement) -> list[CheckItem]:
        kind = req.kind
        if kind == "model_card":
            return self._sections("model card", self.card_data, req, MODEL_CARD_SECTIONS)
        if kind == "system_card":
            return self._system_card(req)
        if kind == "datasheet":
            return self._datasheets(req)
        if kind == "fairness":
            return self._fairness(req)
        if kind == "monitoring_spec":
            return self._monitoring()
        if kind == "risk_assessment":
            return self._risks(req)
        if req.for_each == "training_dataset":
            return self._per_dataset(req)
        return [self._evidence(kind, req.max_age_days, kind)]

    def _sections(
        self,
        document: str,
        data: Mapping[str, Any],
        req: EvidenceRequirement,
        specs: Mapping[str, Any],
        *,
        owner: str | None = None,
    ) -> list[CheckItem]:
        """One item per required section: present when filled, else the document's gap."""
        status = as_mapping(data.get("section_status"))
        gaps = as_mapping(data.get("section_gaps"))
        record = data.get("sections_record")
        out = []
        for key in req.sections or tuple(specs):
            title = specs[key].title if key in specs else key
            if status.get(key) == "filled":
                out.append(CheckItem(document, title, "present", owner or self.owner, "", record))
            elif key in gaps:
                out.append(_from_gap(document, as_mapping(gaps[key]), record))
            else:
                out.append(
                    CheckItem(document, f"{title} — not filled", "missing", owner or self.owner)
                )
        return out

    def _system_card(self, req: EvidenceRequirement) -> list[CheckItem]:
        card = self.documents.system_card
        if card is None:
            from assay.documents._system_card import build_system_card

            card = build_system_card(self.ws, self.system, required=req.sections or None)
        return self._sections("system card", card.data, req, SYSTEM_CARD_SECTIONS)

    def _no_training_data(self, document: str) -> CheckItem:
        return CheckItem(
            document,
            "training datasets of the model version recorded",
            "missing",
            self.owner,
            _TRAINING_FIX.format(system=self.system),
        )

    def _datasheets(self, req: EvidenceRequirement) -> list[CheckItem]:
        if not self.documents.datasheets:
            return [self._no_training_data("datasheets")]
        out = []
        for ref, sheet in self.documents.datasheets:
            data = sheet.data
            out.extend(
                self._sections(
                    f"datasheet {ref}",
                    data,
                    req,
                    {k: DATASHEET_SECTIONS[k] for k in DATASHEET_REQUIRED},
                    owner=str(data.get("owner")),
                )
            )
        return out

    def _fairness(self, req: EvidenceRequirement) -> list[CheckItem]:
        from assay.documents._gather import latest_evidence

        model = self.card_data.get("model_version")
        declared = [str(f) for f in as_list(self.card_data.get("declared_features"))]
        fix = (
            f"assay evaluate fairness DATA --y-true LABEL --y-pred PREDICTION "
            f"--sensitive {','.join(declared) or 'FEATURE'} --record "
            f"--system {self.system} --model-version {model or 'VERSION'}"
        )
        if req.for_each == "sensitive_feature" and not declared:
            return [
                CheckItem(
                    "fairness",
                    "sensitive features declared for the model",
                    "missing",
                    self.owner,
                    f"assay card model {self.system} --sensitive-features sex,race",
                )
            ]
        record = (
            latest_evidence(
                self.ws, self.system, "fairness", model_version=model, schema=FairnessResult.SCHEMA
            )
            if model
            else None
        )
        covered = evaluated_features(load_json(self.ws, record)) if record is not None else []
        features = declared if req.for_each == "sensitive_feature" else ["(any)"]
        shown = as_mapping(self.card_data.get("feature_gaps"))
        out = []
        for feature in features:
            age = f", at most {req.max_age_days} days old" if req.max_age_days else ""
            label = f"fairness evaluation of {model or 'the model'} on '{feature}'{age}"
            if feature in shown:
                out.append(_from_gap("fairness", as_mapping(shown[feature])))
                continue
            if record is None or (feature != "(any)" and feature not in covered):
                out.append(CheckItem("fairness", label, "missing", self.owner, fix))
                continue
            self.cited[record.ref] = record
            ok = evidence_is_fresh(record, req.max_age_days, self.today)
            out.append(
                CheckItem(
                    "fairness",
                    label,
                    "present" if ok else "stale",
                    self.owner,
                    "" if ok else fix,
                    record.ref,
                )
            )
        return out

    def _evidence(
        self, kind: str, max_age: int | None, document: str, *, dataset: str | None = None
    ) -> CheckItem:
        from assay.governance import get_dataset_version, list_evidence

        age = f", at most {max_age} days old" if max_age else ""
        target = f" of {dataset}" if dataset else ""
        label = f"{kind.replace('_', ' ')} evidence{target}{age}"
        kinds = stored_kinds(kind)
        owner = self.owner
        if dataset is not None:
            version = get_dataset_version(self.ws, dataset)
            owner = owner_of(version)
            records = [
                r
                for k in kinds
                for r in list_evidence(self.ws, kind=k)
                if r.dataset_version == dataset or r.dataset_digest == version.digest
            ]
        else:
            records = [r for k in kinds for r in list_evidence(self.ws, system=self.system, kind=k)]
        records.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        # evidence about a dataset counts only when it names that dataset version
        scope = f" --dataset-version {dataset}" if dataset else ""
        fix = f"record it: assay evidence add FILE --kind {kind} --system {self.system}{scope}"
        if not records:
            return CheckItem(document, label, "missing", owner, fix)
        record = records[0]
        self.cited[record.ref] = record
        ok = evidence_is_fresh(record, max_age, self.today)
        return CheckItem(
            document,
            label,
            "present" if ok else "stale",
            owner,
            "" if ok else fix,
            record.ref,
        )

    def _per_dataset(self, req: EvidenceRequirement) -> list[CheckItem]:
        datasets = self._datasets()
        if not datasets:
            return [self._no_training_data(req.kind)]
        return [
            self._evidence(req.kind, req.max_age_days, req.kind, dataset=ref) for ref in datasets
        ]

    def _monitoring(self) -> list[CheckItem]:
        from assay.documents._card_context import monitoring_gap
        from assay.governance import show_system

        label = "monitoring specification (metrics, thresholds, alerts)"
        specs = [c for c in show_system(self.ws, self.system).components if c.kind == "monitoring"]
        if specs:
            spec = f"component {specs[-1].name}@{specs[-1].version}"
            return [CheckItem("monitoring", label, "present", self.owner, evidence=spec)]
        item = self._evidence("monitoring_spec", None, "monitoring")
        if item.present:
            return [item]
        gap = monitoring_gap(self.sys_rec)
        return [CheckItem("monitoring", gap.what, "missing", gap.owner, gap.fix)]

    def _risks(self, req: EvidenceRequirement) -> list[CheckItem]:
        from assay.documents._risk_assessment import no_risks_gap, risk_gaps
        from assay.governance import list_risks

        risks = list_risks(self.ws, system=self.system)
        if not risks:
            gap = no_risks_gap(self.sys_rec)
            return [CheckItem("risk assessment", gap.what, "missing", gap.owner, gap.fix)]
        out = [
            CheckItem(
                "risk assessment",
                "risks identified and rated in the register",
                "present",
                self.owner,
            )
        ]
        if req.every_risk_has_owner:
            for risk in risks:
                gaps = risk_gaps(risk, self.today)
                for gap in gaps:
                    out.append(
                        CheckItem("risk assessment", gap.what, "missing", gap.owner, gap.fix)
                    )
                if risk.is_open and not gaps:
                    out.append(
                        CheckItem(
                            "risk assessment",
                            f"{risk.ref} has an owner, mitigations and a due date",
                            "present",
                            owner_of(risk),
                        )
                    )
        return out

    def traceability(self) -> list[CheckItem]:
        return [
            CheckItem(
                "traceability",
                f"{r.ref} ({r.kind}) linked to a model version, a dataset and a code commit",
                "present" if r.traceable else "missing",
                owner_of(r),
                ""
                if r.traceable
                else f"record it again with its model version, dataset and commit "
                f"(assay evidence add ... --supersedes {r.ref} --reason ...)",
                r.ref,
            )
            for r in self.cited.values()
        ]

    def consistency(self) -> list[ConsistencyCheck]:
        return card_consistency(self.ws, self.system, self.card_data, self.owner)


_TRAINING_FIX = (
    "register the model version with its training data: "
    "assay model-version add {system} VERSION --train-dataset NAME@VERSION"
)


def _diff_metrics(
    old: Mapping[str, Any], new: Mapping[str, Any], tolerance: float = 1e-9
) -> list[str]:
    """Differences between two headline-metric maps, as readable lines."""
    out = []
    for grouping, groups in as_mapping(old).items():
        for group, metrics in as_mapping(groups).items():
            for metric, entry in as_mapping(metrics).items():
                if metric == "n":
                    continue
                a = as_mapping(entry).get("value")
                b = as_mapping(
                    as_mapping(as_mapping(as_mapping(new).get(grouping)).get(group)).get(metric)
                ).get("value")
                if isinstance(a, int | float) and isinstance(b, int | float):
                    if abs(float(a) - float(b)) > tolerance:
                        out.append(f"{metric} for {group}: {a:.3f} → {b:.3f}")
                elif a != b:
                    out.append(f"{metric} for {group}: {a} → {b}")
    return out


def card_consistency(
    ws: Workspace, system: str, card: Mapping[str, Any], owner: str
) -> list[ConsistencyCheck]:
    """The consistency checks of a model card's data (``build_model_card(...).data``)."""
    from assay.governance import get_evidence

    checks: list[ConsistencyCheck] = []
    model = card.get("model_version")
    latest = as_mapping(card.get("latest_evaluation"))
    used = as_mapping(card.get("evaluation"))
    if not latest:
        # nothing recorded can contradict the card; a required evaluation is a gap, not this
        checks.append(
            ConsistencyCheck(
                "card_model_version_evaluated",
                "The card's model version is the one evaluated",
                True,
                "No fairness evaluation of the system is recorded: none disagrees with the card.",
                owner,
            )
        )
    else:
        ok = latest.get("model_version") == model
        checks.append(
            ConsistencyCheck(
                "card_model_version_evaluated",
                "The card's model version is the one evaluated",
                ok,
                f"The card is for {model}; the latest evaluation {latest.get('ref')} is of "
                f"{latest.get('model_version')}."
                if not ok
                else f"{latest.get('ref')} evaluated {model}.",
                owner,
            )
        )
    if used:
        latest_record = get_evidence(ws, str(latest.get("ref") or used.get("ref")))
        fresh_metrics = headline_metrics(load_json(ws, latest_record))
        shown = as_mapping(card.get("metrics"))
        diffs = _diff_metrics(shown, fresh_metrics)
        pinned = as_mapping(card.get("pinned"))
        pinned_metrics = as_mapping(pinned.get("metrics"))
        text_diffs = _diff_metrics(pinned_metrics, shown) if pinned_metrics else []
        detail = (
            f"The card shows {used.get('ref')}; the latest evaluation {latest_record.ref} differs: "
            + "; ".join(diffs[:4])
            if diffs
            else f"The card's metrics equal those of the latest evaluation {latest_record.ref}."
        )
        if text_diffs:
            detail += (
                f" The card's written sections were saved against {pinned.get('evaluation')}; "
                "metrics changed since: " + "; ".join(text_diffs[:4]) + ". Re-read and re-save "
                f"them (assay card model {system} ...)."
            )
        checks.append(
            ConsistencyCheck(
                "card_metrics_match_latest_evaluation",
                "The card's metrics equal the latest recorded evaluation",
                not diffs and not text_diffs,
                detail,
                owner,
            )
        )
    if card.get("datasheets_required") is not False:
        checks.append(_datasheets_check(ws, card, owner))
    return checks


def _datasheets_check(ws: Workspace, card: Mapping[str, Any], owner: str) -> ConsistencyCheck:
    missing = [
        str(ref)
        for ref in as_list(card.get("training_datasets"))
        if read_sections(ws, "datasheet", str(ref)).record is None
    ]
    return ConsistencyCheck(
        "card_datasets_have_datasheets",
        "Every dataset named in the card has a datasheet",
        not missing,
        "Missing datasheets: " + ", ".join(missing)
        if missing
        else "Every training dataset has a datasheet.",
        owner,
    )
