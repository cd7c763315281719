"""The comparison report: one self-contained HTML page (inline CSS, figures as base64 PNG).

Per dataset: a data summary, a methods x splits table (mean ± sd over seeds), red warnings
wherever a model does not beat the best baseline of a split or is below chance (paired per
seed, grnflow.versus), per-regulator results, per pair class results (groups too small are
greyed), ROC/PR curves, MTLGRN's knockout-prediction panel and BEELINE's table of the
label-free methods (grnflow.report_views computes the evaluation views). This module computes what the page shows; the HTML is
the Jinja2 template `templates/report.html.j2` (one file per dataset section under
`templates/sections/`, shared pieces in `templates/macros.html.j2`); the figures are
`grnflow.report_figures`.

A new dataset section is a template `templates/sections/<name>.html.j2` (it sees `ds`, the
dataset's context built by `dataset_context`), its data added to that context, and its name in
`SECTIONS`. Notices for the whole page or one dataset (e.g. convergence warnings) are
`notice(level, title, text)` entries appended to `page_alerts` / `ds["alerts"]`.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path

import pandas as pd

from grnflow.compare import read_comparison, read_predictions, summarize
from grnflow.convergence import report_notices
from grnflow.errors import InputError
from grnflow.gene_name_table import named_top_pairs, read_gene_names
from grnflow.infer_report import inferred_context
from grnflow.io import open_text, read_gene_list, read_table, write_text
from grnflow.methods import BY_NAME, ORDER
from grnflow.metrics import PAIR_CLASSES
from grnflow.names import SPLITS
from grnflow.report_views import (
    beeline_view,
    compare_settings,
    model_warnings,
    regulator_view,
    small_groups,
    versus_rows,
)
from grnflow.report_figures import (
    KNOCKOUT_METRICS,
    curves_figure,
    figure_names,
    figure_path,
    knockout_columns,
    knockout_figure,
    ordered,
    pair_class_figure,
)

__all__ = ["build_report", "data_summary", "model_warnings", "mean_sd", "render_page", "figure_names",
           "figure_path", "template_files"]

# Reason of a promoter written but clipped (grnflow.promoters.CLIPPED; not imported from there,
# which would pull pyfaidx into the report env).
CLIPPED = "clipped at contig end"

# The templates live next to this file: found the same way whether grnflow is pip-installed or
# reached through PYTHONPATH (conda envs, cluster nodes).
TEMPLATES = Path(__file__).resolve().parent / "templates"
PAGE_TEMPLATE = "report.html.j2"
# The sections of each dataset, in page order (templates/sections/<name>.html.j2).
SECTIONS = ("data", "methods", "versus", "regulators", "pair_class", "curves", "top_pairs", "knockout",
            "beeline", "inferred")
MAIN_METRICS = [("auroc", "AUROC"), ("aupr", "AUPR"), ("aupr_ratio", "AUPR ratio"), ("epr", "EPR"),
                ("mcc", "MCC"), ("f1", "F1")]
SEED_COLUMNS = ["split", "method", "seed", "auroc", "aupr", "aupr_ratio", "epr", "mcc", "f1", "n_pos",
                "n_neg", "train_seconds"]


# ---------------------------------------------------------------- data summary
def data_summary(root: str | Path, dataset: str) -> dict:
    """Counts of the dataset's inputs after the data stages (genes, samples, edges, ...)."""
    data = Path(root) / dataset / "data"
    expr = data / "expression.tsv"
    with open_text(expr) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        n_genes = sum(1 for line in fh if line.strip())
    network = read_table(data / "network.tsv", sep="tab", dtype=str)
    samples = read_table(data / "samples.tsv", sep="tab", dtype=str, keep_default_na=False)
    if "knockout" not in samples.columns:
        raise InputError(f"{data / 'samples.tsv'}: no `knockout` column (expected `sample knockout controls`)")
    knockouts = samples["knockout"].str.strip()
    knockouts = knockouts[knockouts != ""]
    with open_text(data / "promoters.fa") as fh:
        promoters = sum(1 for line in fh if line.startswith(">"))
    # Clipped promoters are written to the FASTA and listed in the table: not missing.
    missing = read_table(data / "promoters.missing.tsv", sep="tab", dtype=str)
    summary = {
        "genes": n_genes,
        "samples": len(header) - 1,
        "reference edges": len(network),
        "regulators in the network": network.iloc[:, 0].nunique() if len(network) else 0,
        "knockout samples": len(knockouts),
        "knocked-out genes": knockouts.nunique(),
        "promoters found": promoters,
        "genes without promoter": int((missing["reason"] != CLIPPED).sum()),
        "promoters clipped at a contig end": int((missing["reason"] == CLIPPED).sum()),
    }
    tfs = data / "tfs.txt"
    if tfs.exists():
        summary["TF list"] = len(read_gene_list(tfs))
    names = data / "gene_names.tsv"
    if names.exists():
        summary["genes with a name"] = int((read_gene_names(names) != "").sum())
    return summary


def top_pairs(root: Path, dataset: str, summary: pd.DataFrame, splits, curve_seed: int, k: int = 10) -> dict | None:
    """The best method's (mean AUROC, first split) top-`k` test pairs with gene names, if known."""
    names_path = root / dataset / "data" / "gene_names.tsv"
    split = next((s for s in splits if s in set(summary["split"])), None)
    if not names_path.exists() or split is None:
        return None
    here = summary[summary["split"] == split].sort_values("auroc_mean", ascending=False, kind="stable")
    method = str(here["method"].iloc[0])
    preds = read_predictions(root / dataset / "predictions" / method / split / f"seed{curve_seed}.tsv.gz")
    return {"method": method, "split": split, "k": k,
            "rows": named_top_pairs(preds, read_gene_names(names_path), k)}


def with_runtime(summary: pd.DataFrame, metrics: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add the run facts of runtime.tsv (training seconds, device) to the two tables shown."""
    runtime = read_comparison(path)
    keys = ["dataset", "split", "method"]
    per_method = summarize(runtime)[keys + ["device", "train_seconds_mean"]]
    return (
        summary.merge(per_method, on=keys, how="left"),
        metrics.merge(runtime, on=keys + ["seed"], how="left"),
    )


# ---------------------------------------------------------------- number formatting
def _num(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def mean_sd(mean, sd, digits: int = 3) -> str:
    """`0.834 ± 0.012`; just the mean when the sd is undefined (one seed), `–` when no mean."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    if sd is None or (isinstance(sd, float) and math.isnan(sd)):
        return _num(mean, digits)
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def _cell(row: pd.Series, metric: str, digits: int = 3) -> str:
    return mean_sd(row.get(f"{metric}_mean", math.nan), row.get(f"{metric}_sd", math.nan), digits)


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def notice(level: str, title: str, text: str = "") -> dict:
    """A boxed notice of the page: `level` is `warning` (red), `ok` (green) or `note` (grey)."""
    if level not in ("warning", "ok", "note"):
        raise ValueError(f"notice level {level!r}: use warning, ok or note")
    return {"level": level, "title": title, "text": text}


# ---------------------------------------------------------------- what the page shows
def _kind(method: str) -> str:
    """Row class of a method: `baseline` or `model` (registry kind)."""
    return BY_NAME[method].kind if method in BY_NAME else ""


def _split_groups(summary: pd.DataFrame):
    """(split, its rows indexed by method, the methods in registry order) per split."""
    for split in ordered(summary["split"].unique(), SPLITS):
        here = summary[summary["split"] == split].set_index("method")
        yield split, here, ordered(here.index, ORDER)


def methods_rows(summary: pd.DataFrame, losers: set) -> dict:
    """Per split: every method's mean ± sd of the main metrics, run time, device and test pairs;
    the AUROC cell marked `loses` (does not beat the best baseline, or below chance) or `best`."""
    groups = []
    for split, here, methods in _split_groups(summary):
        best = here["auroc_mean"].max(skipna=True)
        rows = []
        for method in methods:
            row = here.loc[method]
            cells = []
            for metric, _ in MAIN_METRICS:
                cls = ""
                if metric == "auroc" and (split, method) in losers:
                    cls = "loses"
                elif metric == "auroc" and row.get("auroc_mean") == best:
                    cls = "best"
                cells.append({"text": _cell(row, metric), "cls": cls})
            device = row.get("device")
            rows.append({
                "method": method, "kind": _kind(method), "cells": cells,
                "train_seconds": _num(row.get("train_seconds_mean"), 1),
                "device": device if isinstance(device, str) else "–",
                "pairs": f'{_num(row.get("n_pos_mean"), 0)}/{_num(row.get("n_neg_mean"), 0)}',
            })
        n_seeds = int(here.loc[methods[0]].get("n_seeds", 0))
        groups.append({"split": split, "note": f"{n_seeds} seed(s)", "rows": rows})
    head = [label for _, label in MAIN_METRICS] + ["train s", "device", "test pairs (pos/neg)"]
    return {"head": head, "groups": groups}


def pair_class_rows(summary: pd.DataFrame, small: set = frozenset()) -> dict:
    """Per split: mean ± sd AUROC and AUPR ratio per pair class (2, 1, 0 genes seen in training);
    a (split, class) group in `small` (too few positives or negatives) shows its n, greyed."""
    groups = []
    for split, here, methods in _split_groups(summary):
        first = here.loc[methods[0]]
        counts = " · ".join(
            f'{c}: {_num(first.get(f"n_pos_pc{c}_mean"), 0)}/{_num(first.get(f"n_neg_pc{c}_mean"), 0)}'
            for c in PAIR_CLASSES)
        few = {c: f'n = {_num(first.get(f"n_pos_pc{c}_mean"), 0)}/{_num(first.get(f"n_neg_pc{c}_mean"), 0)}'
               for c in PAIR_CLASSES if (split, c) in small}
        rows = [{
            "method": method, "kind": _kind(method),
            "cells": [{"text": few[c], "cls": "few"} if c in few else
                      {"text": _cell(here.loc[method], f"{m}_pc{c}"), "cls": ""}
                      for m in ("auroc", "aupr_ratio") for c in PAIR_CLASSES],
        } for method in methods]
        groups.append({"split": split, "note": f"pos/neg {counts}", "rows": rows})
    head = [f"{label} {c}" for label in ("AUROC", "AUPR ratio") for c in PAIR_CLASSES]
    return {"head": head, "groups": groups}


def seeds_rows(metrics: pd.DataFrame) -> dict:
    """Every job's row (per seed): the columns shown and each row's formatted cells."""
    cols = [c for c in SEED_COLUMNS if c in metrics.columns]
    rows = []
    for _, r in metrics.iterrows():
        cells = []
        for c in cols:
            if c in ("split", "method"):
                cells.append({"text": str(r[c]), "name": True})
            else:
                digits = 0 if c in ("seed", "n_pos", "n_neg") else (1 if c == "train_seconds" else 3)
                cells.append({"text": _num(float(r[c]), digits), "name": False})
        rows.append(cells)
    return {"columns": cols, "rows": rows}


def knockout_rows(summary: pd.DataFrame) -> dict:
    """MTLGRN's knockout metrics per split (mean ± sd); no columns when it reported none."""
    cols = knockout_columns(summary)
    rows = summary[summary["method"] == "mtlgrn"].set_index("split")
    return {
        "columns": [KNOCKOUT_METRICS[c] for c in cols],
        "rows": [{"split": s, "cells": [_cell(rows.loc[s], c) for c in cols]}
                 for s in (ordered(rows.index, SPLITS) if cols else [])],
    }


def verdict(metrics: pd.DataFrame, warnings: list[dict]) -> dict | None:
    """The note above the methods table: no baseline ran, or every model beats the best one."""
    kinds = {BY_NAME[m].kind for m in metrics["method"] if m in BY_NAME}
    if "baseline" not in kinds:
        return notice("note", "", "No baseline was run, so the models were not checked against one.")
    if not warnings and "model" in kinds:
        return notice("ok", "", "Every model beats the best baseline of every split (mean over seeds, in "
                                "AUROC, AUPR ratio and EPR) and is above chance.")
    return None


def dataset_context(dataset: str, summary: pd.DataFrame, metrics: pd.DataFrame, data: dict,
                    figures: dict, curve_seed: int, top: dict | None = None, settings: dict | None = None,
                    beeline: str | Path | None = None, inferred: dict | None = None) -> dict:
    """Everything one dataset's part of the page shows (`ds` in the section templates)."""
    settings = compare_settings(settings)
    warnings = model_warnings(metrics)
    losers = {(w["split"], w["model"]) for w in warnings if w["metric"] == "auroc"}
    regulators = regulator_view(metrics, settings)
    beeline_rows = beeline_view(beeline) if beeline else {"rows": []}
    sections = [s for s in SECTIONS if (s != "knockout" or "knockout" in figures)
                and (s != "beeline" or beeline_rows["rows"]) and (s != "regulators" or regulators["groups"])
                and (s != "versus" or (warnings or versus_rows(metrics)))]
    return {
        "name": dataset,
        "sections": [s for s in sections if (s != "top_pairs" or top is not None)
                     and (s != "inferred" or inferred is not None)],
        "alerts": [notice("warning", title, text) for title, text in report_notices(metrics)],
        "data": data,
        "n_seeds": sorted(set(summary["n_seeds"].astype(int))),
        "verdict": verdict(metrics, warnings),
        "warnings": warnings,
        "versus": versus_rows(metrics),
        "regulators": regulators,
        "beeline": beeline_rows,
        "methods": methods_rows(summary, losers),
        "seeds": seeds_rows(metrics),
        "pair_class": pair_class_rows(summary, small_groups(summary, int(settings["min_group_pairs"]))),
        "min_group_pairs": int(settings["min_group_pairs"]),
        "splits": ordered(summary["split"].unique(), SPLITS),
        "curve_seed": curve_seed,
        "figures": {name: _data_uri(path) for name, path in figures.items()},
        "knockout": knockout_rows(summary),
        "top_pairs": top,
        "inferred": inferred,
    }


# ---------------------------------------------------------------- the page
def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _num
    return env


def template_files() -> list[str]:
    """Every template file of the page (inputs of the `report` rule: editing one reruns it)."""
    return sorted(str(p) for p in TEMPLATES.rglob("*") if p.is_file() and p.suffix in (".j2", ".css"))


def render_page(datasets: list[dict], methods: list[str], page_alerts: list[dict] | None = None) -> str:
    """The HTML page of the dataset contexts (`dataset_context`); `methods` are those that ran."""
    warnings = [dict(w, dataset=ds["name"]) for ds in datasets for w in ds["warnings"]]
    baselines = [BY_NAME[m] for m in ordered(methods, ORDER) if m in BY_NAME and BY_NAME[m].kind == "baseline"]
    return _environment().get_template(PAGE_TEMPLATE).render(
        datasets=datasets, warnings=warnings, baselines=baselines, page_alerts=page_alerts or [])


def _figures(root: Path, dataset: str, summary: pd.DataFrame, figures_dir, methods, splits, curve_seed,
             min_group_pairs: int) -> dict:
    """Write the dataset's figures; {figure name: PNG path}."""
    figures = {}
    for split in splits:
        preds = {}
        for method in ordered(methods, ORDER):
            path = root / dataset / "predictions" / method / split / f"seed{curve_seed}.tsv.gz"
            preds[method] = read_predictions(path)
        path = figure_path(figures_dir, dataset, f"curves_{split}")
        curves_figure(preds, f"{dataset} — split {split}, seed {curve_seed}", path)
        figures[f"curves_{split}"] = path
    path = figure_path(figures_dir, dataset, "pair_class")
    pair_class_figure(summary, f"{dataset} — AUROC per pair class (genes seen in training)", path,
                      small_groups(summary, min_group_pairs))
    figures["pair_class"] = path
    if "knockout" in figure_names(splits, methods):
        path = figure_path(figures_dir, dataset, "knockout")
        knockout_figure(summary, f"{dataset} — MTLGRN knockout prediction", path)
        figures["knockout"] = path
    return figures


def build_report(
    datasets: list[str],
    out_html: str | Path,
    figures_dir: str | Path,
    methods: list[str],
    splits: list[str],
    curve_seed: int = 0,
    root: str | Path = "results",
    settings: dict | None = None,
) -> list[dict]:
    """Write the figures under `figures_dir` and the self-contained `out_html`; return the warnings.

    `settings`: config `compare.*` (top_regulator_limit, min_group_pairs)."""
    root = Path(root)
    settings = compare_settings(settings)
    contexts = []
    for dataset in datasets:
        comparison = root / dataset / "comparison"
        summary = read_comparison(comparison / "summary.tsv")
        metrics = read_comparison(comparison / "metrics.tsv")
        summary, metrics = with_runtime(summary, metrics, comparison / "runtime.tsv")
        if summary.empty:
            raise InputError(f"{comparison / 'summary.tsv'}: no rows; the comparison has no jobs")
        figures = _figures(root, dataset, summary, figures_dir, methods, splits, curve_seed,
                           int(settings["min_group_pairs"]))
        contexts.append(dataset_context(dataset, summary, metrics, data_summary(root, dataset), figures,
                                        curve_seed, top_pairs(root, dataset, summary, splits, curve_seed),
                                        settings, comparison / "beeline.tsv",
                                        inferred_context(root, dataset, _data_uri)))
    write_text(render_page(contexts, methods), out_html)
    return [dict(w, dataset=ds["name"]) for ds in contexts for w in ds["warnings"]]
