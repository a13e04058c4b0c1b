"""The catalogs and the crosswalk: structure, sources, and the checks that keep them consistent."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from assay.errors import NotFoundError, SchemaError
from assay.frameworks import (
    SIGNAL_IDS,
    get_framework,
    list_frameworks,
    load_crosswalk,
    load_framework,
)

SHIPPED = Path(__file__).resolve().parents[2] / "src" / "assay" / "frameworks"


def test_nist_ai_rmf_has_its_functions_categories_and_72_subcategories() -> None:
    nist = get_framework("nist-ai-rmf-1.0")
    functions = [i.id for i in nist.items if i.level == "function"]
    assert functions == ["GOVERN", "MAP", "MEASURE", "MANAGE"]
    categories = Counter(nist.top_level(i.id).id for i in nist.items if i.level == "category")
    assert categories == {"GOVERN": 6, "MAP": 5, "MEASURE": 4, "MANAGE": 4}
    per_function = Counter(nist.top_level(i.id).id for i in nist.leaves)
    assert per_function == {"GOVERN": 19, "MAP": 18, "MEASURE": 22, "MANAGE": 13}
    assert all(i.level == "subcategory" and i.text for i in nist.leaves)
    assert nist.item("MEASURE 2.11").text.startswith("Fairness and bias")
    assert nist.item("GOVERN 1.6").parent == "GOVERN 1"


def test_eu_ai_act_annex_iv_has_nine_sections() -> None:
    eu = get_framework("eu")
    sections = [i for i in eu.items if i.parent is None]
    assert [s.id for s in sections] == [f"IV.{n}" for n in range(1, 10)]
    assert [len(s.children) for s in sections] == [8, 8, 0, 0, 0, 0, 0, 0, 0]
    assert len(eu.leaves) == 23
    assert eu.item("IV.8").title == "EU declaration of conformity"


def test_iso_42001_annex_a_has_38_controls_with_titles_only() -> None:
    iso = get_framework("iso")
    assert len(iso.leaves) == 38
    clauses = [i.id for i in iso.items if i.parent is None]
    assert clauses == [f"A.{n}" for n in range(2, 11)]
    # Copyright: identifiers and titles only, never the control text.
    assert all(i.title and not i.text for i in iso.items)
    assert iso.item("A.6.2.4").title == "AI system verification and validation"


def test_every_catalog_names_and_dates_its_source() -> None:
    for fw in list_frameworks():
        src = fw.source
        assert src.publisher
        assert src.document
        assert src.reference
        assert src.rights
        assert src.published[:2] == "20"
        assert src.transcribed == "2026-11-26"
        text = (SHIPPED / next(f for f in _files() if fw.id in _ids(f))).read_text("utf-8")
        assert "Source:" in text.split("schema:")[0]  # the header comment names it too


def _files() -> list[str]:
    return [
        p.name
        for p in SHIPPED.glob("*.yaml")
        if p.name not in ("crosswalk.yaml", "genai_taxonomy.yaml")
    ]


def _ids(name: str) -> str:
    return str(yaml.safe_load((SHIPPED / name).read_text("utf-8"))["id"])


def test_get_framework_by_prefix_and_errors() -> None:
    assert get_framework("NIST").id == "nist-ai-rmf-1.0"
    with pytest.raises(NotFoundError, match=r"no framework 'cobit'.*nist-ai-rmf-1\.0"):
        get_framework("cobit")
    with pytest.raises(NotFoundError, match=r"no item 'MAP 9\.9'"):
        get_framework("nist").item("MAP 9.9")


def test_a_broken_catalog_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "schema: assay.framework/v1\nid: mine\nname: Mine\nshort_name: M\nversion: '1'\n"
        "levels: [control]\nsource: {publisher: a, document: b, published: c, reference: d,\n"
        "  rights: e, transcribed: f, content: g}\nitems:\n  - id: C1\n    titel: typo\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemaError, match=r"mine.yaml, line 11, field 'items.0.titel'"):
        load_framework(path)


def test_the_crosswalk_names_only_known_signals_and_items() -> None:
    cw = load_crosswalk()
    assert set(cw.signals) == set(SIGNAL_IDS)  # every detector is documented, and only those
    leaves = {fw.id: {i.id for i in fw.leaves} for fw in list_frameworks()}
    for fw, items in cw.frameworks.items():
        assert set(items) <= leaves[fw]
    assert cw.mapping("iso-iec-42001-2023", "A.2.2") is None  # the AI policy: organisational
    assert cw.mapping("nist-ai-rmf-1.0", "MANAGE 4.1").groups == (
        ("evidence.monitoring_spec", "component.monitoring"),
    )


def test_a_crosswalk_with_unknown_names_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cw.yaml"
    path.write_text(
        "schema: assay.crosswalk/v1\nsignals:\n  evidence.fairness: {label: f, fix: x}\n"
        "  evidence.vibes: {label: v, fix: y}\nframeworks:\n  nist-ai-rmf-1.0:\n"
        "    MEASURE 2.11: {requires: [evidence.fairness]}\n"
        "    MEASURE 2: {requires: [evidence.fairness]}\n"
        "    MEASURE 2.10: {requires: [evidence.pii_scan]}\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemaError) as err:
        load_crosswalk(path)
    message = str(err.value)
    assert "signal 'evidence.vibes' is not one Assay can check" in message
    assert "'MEASURE 2' is not an assessable item" in message
    assert "MEASURE 2.10: signal 'evidence.pii_scan' is not declared" in message
