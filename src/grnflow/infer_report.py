"""What the report's "Inferred network" section shows (template sections/inferred.html.j2).

Read from `results/<ds>/inferred/` (stage `infer`); the section is left out when the dataset
has no inferred network.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from grnflow.infer_figures import FIGURES
from grnflow.io import read_table

TOP_NOVEL = 25
KO_PREDICTORS = ("mtlgrn", "expression", "no_change")


def _fmt(value, digits: int = 3) -> str:
    if value is None or pd.isna(value):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _gene(row, column: str) -> str:
    name = row.get(f"{column}_name", "")
    return f"{name} ({row[column]})" if name and name != row[column] else str(row[column])


def novel_rows(novel: pd.DataFrame, n: int = TOP_NOVEL) -> list[dict]:
    rows = []
    for _, row in novel.head(n).iterrows():
        rows.append({"novel_rank": int(row["novel_rank"]), "regulator": _gene(row, "regulator"),
                     "target": _gene(row, "target"), "rank": f"{float(row['rank']):g}",
                     "score": _fmt(float(row["score"])), "stability": _fmt(float(row["stability"]), 2),
                     "methods": row["methods"] or "–"})
    return rows


def discovery_rows(discovery: pd.DataFrame) -> list[dict]:
    return [{"method": r["method"], "k": int(r["k"]), "hits": _fmt(float(r["hits"]), 1),
             "expected": _fmt(float(r["expected_hits"]), 1), "precision": _fmt(float(r["precision"])),
             "enrichment": _fmt(float(r["enrichment"]), 2)} for _, r in discovery.iterrows()]


def knockout_rows(comparison: pd.DataFrame) -> list[dict]:
    """Mean over split x seed per predictor (mtlgrn, expression, no_change)."""
    if comparison.empty:
        return []
    rows = []
    for name in KO_PREDICTORS:
        part = comparison[comparison["predictor"] == name]
        if part.empty:
            continue
        rows.append({"predictor": name, "runs": len(part),
                     "pearson": _fmt(part["pearson"].astype(float).mean()),
                     "direction_accuracy": _fmt(part["direction_accuracy"].astype(float).mean()),
                     "majority_share": _fmt(part["majority_share"].astype(float).mean())})
    return rows


def inferred_context(root: str | Path, dataset: str, data_uri) -> dict | None:
    """The section's data, or None when `results/<ds>/inferred/` has no network yet."""
    base = Path(root) / dataset / "inferred"
    if not (base / "novel.tsv").exists() or not (base / "regulons.tsv").exists():
        return None
    text = {"regulator": str, "target": str, "regulator_name": str, "target_name": str, "methods": str}
    novel = read_table(base / "novel.tsv", sep="tab", dtype=text, keep_default_na=False)
    regulons = read_table(base / "regulons.tsv", sep="tab", dtype=text, keep_default_na=False)
    context = {
        "k": len(regulons),
        "known_in_top": int(regulons["known"].sum()),
        "n_regulators": int(regulons["regulator"].nunique()),
        "novel": novel_rows(novel),
        "novel_n": len(novel),
        "figures": {name: data_uri(base / "figures" / f"{name}.png") for name in FIGURES
                    if (base / "figures" / f"{name}.png").exists()},
        "discovery": [],
        "knockouts": [],
    }
    if (base / "discovery.tsv").exists():
        context["discovery"] = discovery_rows(read_table(base / "discovery.tsv", sep="tab"))
    if (base / "knockout_comparison.tsv").exists():
        context["knockouts"] = knockout_rows(read_table(base / "knockout_comparison.tsv", sep="tab"))
    return context
