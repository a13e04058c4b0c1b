"""Exports to the formats the ecosystem reads: a Hugging Face model card (README.md with YAML
metadata and a ``model-index`` of evaluation results) and Croissant JSON-LD with the Responsible AI
(RAI) fields for a datasheet. Both are built from the same documents as the other renderers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from assay.documents._doc import Document
from assay.documents._render import render_markdown
from assay.errors import InputError
from assay.render import as_list, as_mapping

__all__ = [
    "CROISSANT_CONTEXT",
    "CROISSANT_RAI_TERMS",
    "croissant_jsonld",
    "huggingface_model_card",
]

_HF_METRIC = {
    "accuracy": "accuracy",
    "selection_rate": "selection_rate",
    "tpr": "recall",
    "fpr": "false_positive_rate",
    "ppv": "precision",
}
_HF_NAMES = {
    "accuracy": "Accuracy",
    "selection_rate": "Selection rate",
    "tpr": "True positive rate",
    "fpr": "False positive rate",
    "ppv": "Precision",
}


def huggingface_model_card(card: Document) -> str:
    """A model card as a Hugging Face ``README.md``: YAML metadata, then the card in Markdown.

    The metadata holds the licence, the training datasets, the metrics and a ``model-index`` with
    one result per group and metric of the cited evaluation (each named with its group and
    confidence interval), so the Hub shows the same numbers as the card.

    Parameters
    ----------
    card
        A document from :func:`build_model_card`.

    Returns
    -------
    str
        The README text, starting with ``---``.
    """
    if card.kind != "model_card":
        raise InputError(f"A Hugging Face card is made from a model card, not a {card.kind}.")
    data = as_mapping(card.data)
    fields = as_mapping(data.get("fields"))
    name = str(data.get("model_version") or data.get("system"))
    evaluation = as_mapping(data.get("evaluation"))
    datasets = [str(d) for d in as_list(data.get("training_datasets"))]
    metrics_out: list[dict[str, Any]] = []
    for grouping, groups in as_mapping(data.get("metrics")).items():
        for group, values in as_mapping(groups).items():
            for metric, entry in as_mapping(values).items():
                if metric not in _HF_METRIC:
                    continue
                e = as_mapping(entry)
                value = e.get("value")
                if not isinstance(value, int | float):
                    continue
                label = "overall" if grouping == "overall" else group
                ci = ""
                if isinstance(e.get("ci_low"), int | float) and isinstance(
                    e.get("ci_high"), int | float
                ):
                    ci = f", 95% CI [{e['ci_low']:.3f}, {e['ci_high']:.3f}]"
                metrics_out.append(
                    {
                        "type": _HF_METRIC[metric],
                        "value": round(float(value), 6),
                        "name": f"{_HF_NAMES[metric]} ({label}{ci})",
                    }
                )
    meta: dict[str, Any] = {
        "license": str(fields.get("license") or "other"),
        "tags": ["responsible-ai", "assay", "tabular-classification"],
        "pipeline_tag": "tabular-classification",
    }
    if fields.get("language"):
        meta["language"] = [str(x) for x in as_list(fields.get("language"))]
    if datasets:
        meta["datasets"] = datasets
    if metrics_out:
        meta["metrics"] = sorted({m["type"] for m in metrics_out})
        meta["model-index"] = [
            {
                "name": name,
                "results": [
                    {
                        "task": {"type": "tabular-classification", "name": "Classification"},
                        "dataset": {
                            "name": str(evaluation.get("ref") or "evaluation"),
                            "type": datasets[0] if datasets else "unregistered",
                        },
                        "metrics": metrics_out,
                        "source": {
                            "name": f"Assay evidence {evaluation.get('ref')}",
                            "url": f"urn:sha256:{evaluation.get('blob_sha256')}",
                        },
                    }
                ],
            }
        ]
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{header}---\n\n{render_markdown(card)}"


CROISSANT_CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
"""The JSON-LD context of Croissant 1.0, with the ``rai`` prefix of the RAI extension."""

CROISSANT_RAI_TERMS: dict[str, str] = {
    "rai:dataCollection": "collection",
    "rai:dataPreprocessingProtocol": "preprocessing",
    "rai:dataUseCases": "uses",
    "rai:dataLimitations": "known_gaps",
    "rai:dataBiases": "known_gaps",
    "rai:personalSensitiveInformation": "consent_licensing",
    "rai:dataReleaseMaintenancePlan": "maintenance",
    "rai:dataSocialImpact": "motivation",
}
"""Croissant RAI property → the datasheet section that answers it."""

#: The one file object of a Croissant datasheet; the record set's fields point to it.
FILE_ID = "data-file"


_TYPES = {
    "int": "sc:Integer",
    "float": "sc:Float",
    "bool": "sc:Boolean",
    "date": "sc:Date",
}


def _data_type(declared: Any) -> str:
    text = str(declared or "").lower()
    for key, value in _TYPES.items():
        if key in text:
            return value
    return "sc:Text"


def croissant_jsonld(sheet: Document) -> dict[str, Any]:
    """A datasheet as Croissant 1.0 JSON-LD with the RAI extension's fields.

    The dataset's digest becomes the file object's ``sha256``; its columns become the fields of
    one record set; the datasheet's answers fill the RAI properties listed in
    :data:`CROISSANT_RAI_TERMS`. Unanswered questions are left out, not filled with placeholders.

    Parameters
    ----------
    sheet
        A document from :func:`build_datasheet`.

    Returns
    -------
    dict
        The JSON-LD document.
    """
    if sheet.kind != "datasheet":
        raise InputError(f"Croissant metadata is made from a datasheet, not a {sheet.kind}.")
    data = as_mapping(sheet.data)
    answers = as_mapping(data.get("answers"))
    fields = as_mapping(data.get("fields"))
    name = str(data.get("name"))
    cols = _columns(data.get("columns"))
    doc: dict[str, Any] = {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "name": name,
        "description": str(
            answers.get("motivation") or answers.get("composition") or sheet.subtitle
        ),
        "conformsTo": [
            "http://mlcommons.org/croissant/1.0",
            "http://mlcommons.org/croissant/RAI/1.0",
        ],
        "version": str(data.get("version")),
        "url": str(fields.get("url") or f"urn:assay:dataset:{data.get('dataset')}"),
        "license": str(fields.get("license") or "unknown"),
        "creator": {"@type": "sc:Organization", "name": str(fields.get("creators") or "unknown")},
        "citeAs": str(fields.get("url") or f"{name} {data.get('version')} (registered in Assay)"),
        "datePublished": str(data.get("registered") or "")[:10] or None,
        "distribution": [_file_object(data)],
    }
    if cols:
        doc["recordSet"] = [_record_set(cols)]
    doc = {k: v for k, v in doc.items() if v is not None}
    for term, section in CROISSANT_RAI_TERMS.items():
        text = answers.get(section)
        if isinstance(text, str) and text.strip():
            doc[term] = text.strip() if term == "rai:dataCollection" else [text.strip()]
    return doc


def _columns(columns: Any) -> list[tuple[str, str]]:
    """The dataset's columns with their schema.org data types (text when not declared)."""
    if isinstance(columns, Mapping):
        return [(str(k), _data_type(v)) for k, v in columns.items()]
    return [(str(c), "sc:Text") for c in as_list(columns)]


def _file_object(data: Mapping[str, Any]) -> dict[str, Any]:
    """The data file, identified by the dataset's digest."""
    digest = str(data.get("digest") or "")
    return {
        "@type": "cr:FileObject",
        "@id": FILE_ID,
        "name": FILE_ID,
        "description": f"The data of {data.get('dataset')}, identified by its digest.",
        "contentUrl": str(data.get("source") or f"urn:assay:dataset:{data.get('dataset')}"),
        "encodingFormat": "application/x-parquet",
        "sha256": digest.removeprefix("sha256:"),
    }


def _record_set(cols: list[tuple[str, str]]) -> dict[str, Any]:
    """One record set whose fields are the columns of the data file."""
    return {
        "@type": "cr:RecordSet",
        "@id": "records",
        "name": "records",
        "field": [
            {
                "@type": "cr:Field",
                "@id": f"records/{col}",
                "name": col,
                "dataType": dtype,
                "source": {"fileObject": {"@id": FILE_ID}, "extract": {"column": col}},
            }
            for col, dtype in cols
        ],
    }
