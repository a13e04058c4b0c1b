"""Personal data in tables and logs: find it, measure how identifiable people are, redact it.

``scan`` builds a column inventory (entity types, prevalence, confidence, masked examples) with
validated recognizers run on the engine; ``reidentification_risk`` measures k-anonymity,
uniqueness and l-diversity from quasi-identifiers; ``minimisation`` lists personal data a model
does not need; ``redact`` writes a masked, hashed or nulled copy with the same schema. No raw
value ever appears in a result, a message or a log.
"""

from __future__ import annotations

from assay.evaluate.pii._mask import mask
from assay.evaluate.pii._minimise import minimisation
from assay.evaluate.pii._ner import NER_MISSING, NerBackend, load_ner
from assay.evaluate.pii._recognizers import ENTITIES, EXCLUDED, RECOGNIZERS, Recognizer
from assay.evaluate.pii._redact import POLICIES, Policy, RedactionReport, redact
from assay.evaluate.pii._result import (
    ClassSummary,
    PiiPayload,
    PiiScanResult,
    PiiTotals,
    ReidentificationPayload,
    ReidentificationRisk,
)
from assay.evaluate.pii._risk import reidentification_risk
from assay.evaluate.pii._scan import scan
from assay.evaluate.pii._text import TextFinding, find_in_text
from assay.evaluate.pii._validators import iban_checksum_ok, luhn_ok

__all__ = [
    "ENTITIES",
    "EXCLUDED",
    "NER_MISSING",
    "POLICIES",
    "RECOGNIZERS",
    "ClassSummary",
    "NerBackend",
    "PiiPayload",
    "PiiScanResult",
    "PiiTotals",
    "Policy",
    "Recognizer",
    "RedactionReport",
    "ReidentificationPayload",
    "ReidentificationRisk",
    "TextFinding",
    "find_in_text",
    "iban_checksum_ok",
    "load_ner",
    "luhn_ok",
    "mask",
    "minimisation",
    "redact",
    "reidentification_risk",
    "scan",
]
