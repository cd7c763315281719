"""The comparison report: one self-contained HTML page (inline CSS, figures as base64 PNG).

Per dataset: a data summary, a methods x splits table (mean ± sd over seeds), red warnings
wherever a model does not beat the `degree` baseline, per pair class results, ROC/PR curves
and MTLGRN's knockout-prediction panel.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.compare import read_comparison, read_predictions, summarize
from grnflow.errors import InputError
from grnflow.io import atomic_path, open_text, read_gene_list, read_table, write_text
from grnflow.metrics import PAIR_CLASSES, pr_points, roc_points
from grnflow.methods import MODELS
from grnflow.methods import ORDER as METHOD_ORDER
from grnflow.names import SPLITS as SPLIT_ORDER

# Reason of a promoter written but clipped (grnflow.promoters.CLIPPED; not imported from there,
# which would pull pyfaidx into the report env).
CLIPPED = "clipped at contig end"

BASELINE = "degree"
KNOCKOUT_METRICS = {
    "knockout_pearson": "Pearson r, predicted vs observed knockout response",
    "knockout_direction_accuracy": "direction accuracy of the knockout response",
}
COLORS = {
    "gener": "#1f77b4",
    "mtlgrn": "#d62728",
    "degree": "#2ca02c",
    "correlation": "#9467bd",
    "trees": "#ff7f0e",
    "random": "#7f7f7f",
}
MAX_CURVE_POINTS = 2000


# ---------------------------------------------------------------- file layout of the figures
def figure_path(figures_dir: str | Path, dataset: str, name: str) -> Path:
    """`{figures_dir}/{dataset}/{name}.png`; names: `curves_{split}`, `pair_class`, `knockout`."""
    return Path(figures_dir) / dataset / f"{name}.png"


def figure_names(splits, methods) -> list[str]:
    """The figures written per dataset (the knockout panel only when MTLGRN runs)."""
    names = [f"curves_{s}" for s in splits] + ["pair_class"]
    return names + (["knockout"] if "mtlgrn" in methods else [])


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
    return summary


def with_runtime(summary: pd.DataFrame, metrics: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add the run facts of runtime.tsv (training seconds, device) to the two tables shown."""
    runtime = read_comparison(path)
    keys = ["dataset", "split", "method"]
    per_method = summarize(runtime)[keys + ["device", "train_seconds_mean"]]
    return (
        summary.merge(per_method, on=keys, how="left"),
        metrics.merge(runtime, on=keys + ["seed"], how="left"),
    )


# ---------------------------------------------------------------- the honesty check
def model_warnings(summary: pd.DataFrame) -> list[dict]:
    """Every model x split whose mean AUROC does not beat the degree baseline's."""
    out = []
    for split in _ordered(summary["split"].unique(), SPLIT_ORDER):
        here = summary[summary["split"] == split].set_index("method")
        if BASELINE not in here.index:
            continue
        base = float(here.loc[BASELINE, "auroc_mean"])
        for model in MODELS:
            if model not in here.index:
                continue
            value = float(here.loc[model, "auroc_mean"])
            if math.isnan(value) or math.isnan(base) or value <= base:
                out.append({"model": model, "split": split, "model_auroc": value, "degree_auroc": base})
    return out


# ---------------------------------------------------------------- figures
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    _plt().close(fig)


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.size <= MAX_CURVE_POINTS:
        return x, y
    keep = np.unique(np.linspace(0, x.size - 1, MAX_CURVE_POINTS).astype(int))
    return x[keep], y[keep]


def curves_figure(predictions: dict, title: str, path: str | Path) -> None:
    """ROC and precision-recall curves of every method (one seed, one split) side by side."""
    plt = _plt()
    fig, (roc_ax, pr_ax) = plt.subplots(1, 2, figsize=(10, 4.2))
    prevalence = None
    for method, table in predictions.items():
        labels, scores = table["label"].to_numpy(dtype=int), table["score"].to_numpy(dtype=float)
        if labels.min(initial=0) == labels.max(initial=0):
            continue
        fpr, tpr = _thin(*roc_points(labels, scores))
        recall, precision = _thin(*pr_points(labels, scores))
        style = {"color": COLORS.get(method), "lw": 2 if method in MODELS else 1.3,
                 "ls": "-" if method in MODELS else "--"}
        roc_ax.plot(fpr, tpr, label=method, **style)
        pr_ax.plot(recall, precision, label=method, **style)
        prevalence = labels.mean()
    roc_ax.plot([0, 1], [0, 1], color="#bbbbbb", lw=0.8)
    if prevalence is not None:
        pr_ax.axhline(prevalence, color="#bbbbbb", lw=0.8)
    roc_ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC", xlim=(0, 1), ylim=(0, 1.01))
    pr_ax.set(xlabel="recall", ylabel="precision", title="precision-recall", xlim=(0, 1), ylim=(0, 1.01))
    roc_ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    _save(fig, Path(path))


def pair_class_figure(summary: pd.DataFrame, title: str, path: str | Path) -> None:
    """Mean AUROC (± sd) per pair class, one panel per split, one bar per method."""
    plt = _plt()
    splits = _ordered(summary["split"].unique(), SPLIT_ORDER)
    fig, axes = plt.subplots(1, max(len(splits), 1), figsize=(3.6 * max(len(splits), 1), 3.6), squeeze=False)
    for ax, split in zip(axes[0], splits):
        here = summary[summary["split"] == split].set_index("method")
        methods = _ordered(here.index, METHOD_ORDER)
        width = 0.8 / max(len(methods), 1)
        for j, method in enumerate(methods):
            means = [here.loc[method].get(f"auroc_pc{c}_mean", np.nan) for c in PAIR_CLASSES]
            sds = [here.loc[method].get(f"auroc_pc{c}_sd", np.nan) for c in PAIR_CLASSES]
            x = np.arange(len(PAIR_CLASSES)) + (j - (len(methods) - 1) / 2) * width
            ax.bar(x, np.nan_to_num(means), width, yerr=np.nan_to_num(sds), color=COLORS.get(method),
                   label=method, capsize=2)
        ax.axhline(0.5, color="#bbbbbb", lw=0.8)
        ax.set_xticks(range(len(PAIR_CLASSES)), [f"{c} seen" for c in PAIR_CLASSES])
        ax.set(ylim=(0, 1), title=split, ylabel="AUROC")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="center right")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0, 1 - 1.1 / fig.get_figwidth(), 1))
    _save(fig, Path(path))


def knockout_columns(summary: pd.DataFrame) -> list[str]:
    """Knockout metrics MTLGRN reported (mean columns with at least one value)."""
    rows = summary[summary["method"] == "mtlgrn"]
    return [m for m in KNOCKOUT_METRICS if f"{m}_mean" in rows and rows[f"{m}_mean"].notna().any()]


def knockout_figure(summary: pd.DataFrame, title: str, path: str | Path) -> None:
    """MTLGRN's knockout-response prediction per split (mean ± sd), or a note when absent."""
    plt = _plt()
    metrics = knockout_columns(summary)
    fig, ax = plt.subplots(figsize=(6, 3.4))
    if not metrics:
        ax.text(0.5, 0.5, "MTLGRN reported no knockout metrics\n(no knockout samples or task disabled)",
                ha="center", va="center")
        ax.set_axis_off()
    else:
        rows = summary[summary["method"] == "mtlgrn"]
        splits = _ordered(rows["split"].unique(), SPLIT_ORDER)
        rows = rows.set_index("split")
        width = 0.8 / len(metrics)
        for j, metric in enumerate(metrics):
            x = np.arange(len(splits)) + (j - (len(metrics) - 1) / 2) * width
            ax.bar(x, np.nan_to_num(rows.loc[splits, f"{metric}_mean"].to_numpy(dtype=float)), width,
                   yerr=np.nan_to_num(rows.loc[splits, f"{metric}_sd"].to_numpy(dtype=float)),
                   label=metric.removeprefix("knockout_").replace("_", " "), capsize=3)
        ax.axhline(0, color="#888888", lw=0.8)
        ax.set_xticks(range(len(splits)), splits)
        ax.set(ylim=(-1, 1), ylabel="value")
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    _save(fig, Path(path))


# ---------------------------------------------------------------- HTML pieces
CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222;line-height:1.4}
h1{font-size:24px}h2{font-size:20px;border-bottom:2px solid #ccc;padding-bottom:4px;margin-top:36px}
h3{font-size:16px;margin-top:22px}
table{border-collapse:collapse;margin:8px 0 12px;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}
th{background:#f0f0f0}td.name,th.name{text-align:left}
tr.baseline td{background:#f3f9f1}tr.model td.name{font-weight:bold}
td.best{font-weight:bold}td.loses{color:#b00000;font-weight:bold}
.warning{border:2px solid #c00000;background:#fde8e8;color:#7a0000;padding:8px 12px;margin:8px 0;border-radius:4px}
.ok{border:2px solid #2c8a2c;background:#eaf6ea;color:#1d5e1d;padding:8px 12px;margin:8px 0;border-radius:4px}
.note{border:1px solid #999;background:#f6f6f6;padding:6px 12px;margin:8px 0;border-radius:4px}
img{max-width:100%;border:1px solid #ddd;margin:6px 0}
small,.muted{color:#666}
details{margin:8px 0}
"""


def _ordered(values, order) -> list:
    values = list(dict.fromkeys(values))
    rank = {v: i for i, v in enumerate(order)}
    return sorted(values, key=lambda v: (rank.get(v, len(rank)), str(v)))


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


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def warning_html(w: dict, dataset: str) -> str:
    return (
        f'<div class="warning" role="alert"><b>Warning — {html.escape(w["model"])} does not beat the degree '
        f'baseline</b> on {html.escape(dataset)}, split <b>{html.escape(w["split"])}</b>: mean AUROC '
        f'{_num(w["model_auroc"])} ({html.escape(w["model"])}) vs {_num(w["degree_auroc"])} (degree). '
        "The degree baseline ranks pairs by the product of the two genes' numbers of training edges and "
        "uses no expression at all.</div>"
    )


MAIN_METRICS = [("auroc", "AUROC"), ("aupr", "AUPR"), ("aupr_ratio", "AUPR ratio"), ("epr", "EPR"),
                ("mcc", "MCC"), ("f1", "F1")]


def methods_table(summary: pd.DataFrame, losers: set) -> str:
    """Rows: split x method; columns: mean ± sd of the main metrics, run time, test pairs."""
    head = "".join(f"<th>{label}</th>" for _, label in MAIN_METRICS)
    out = [
        '<table class="methods"><thead><tr><th class="name">split</th><th class="name">method</th>'
        f"{head}<th>train s</th><th>device</th><th>test pairs (pos/neg)</th></tr></thead><tbody>"
    ]
    for split in _ordered(summary["split"].unique(), SPLIT_ORDER):
        here = summary[summary["split"] == split].set_index("method")
        methods = _ordered(here.index, METHOD_ORDER)
        best = here["auroc_mean"].max(skipna=True)
        for i, method in enumerate(methods):
            row = here.loc[method]
            kind = "baseline" if method == BASELINE else ("model" if method in MODELS else "")
            cells = []
            for metric, _ in MAIN_METRICS:
                cls = ""
                if metric == "auroc" and (split, method) in losers:
                    cls = ' class="loses"'
                elif metric == "auroc" and row.get("auroc_mean") == best:
                    cls = ' class="best"'
                cells.append(f"<td{cls}>{_cell(row, metric)}</td>")
            split_cell = (f'<td class="name" rowspan="{len(methods)}"><b>{html.escape(split)}</b><br>'
                          f'<small>{int(row.get("n_seeds", 0))} seed(s)</small></td>') if i == 0 else ""
            device = row.get("device")
            out.append(
                f'<tr class="{kind}">{split_cell}<td class="name">{html.escape(method)}</td>{"".join(cells)}'
                f'<td>{_num(row.get("train_seconds_mean"), 1)}</td><td>{html.escape(str(device)) if isinstance(device, str) else "–"}</td>'
                f'<td>{_num(row.get("n_pos_mean"), 0)}/{_num(row.get("n_neg_mean"), 0)}</td></tr>'
            )
    out.append("</tbody></table>")
    return "".join(out)


def pair_class_table(summary: pd.DataFrame) -> str:
    """Mean ± sd AUROC and AUPR ratio per pair class (2, 1, 0 genes seen in training)."""
    head = "".join(f"<th>AUROC {c}</th>" for c in PAIR_CLASSES) + "".join(
        f"<th>AUPR ratio {c}</th>" for c in PAIR_CLASSES)
    out = [f'<table class="pair-class"><thead><tr><th class="name">split</th><th class="name">method</th>{head}'
           "</tr></thead><tbody>"]
    for split in _ordered(summary["split"].unique(), SPLIT_ORDER):
        here = summary[summary["split"] == split].set_index("method")
        methods = _ordered(here.index, METHOD_ORDER)
        first = here.loc[methods[0]]
        counts = " · ".join(
            f'{c}: {_num(first.get(f"n_pos_pc{c}_mean"), 0)}/{_num(first.get(f"n_neg_pc{c}_mean"), 0)}'
            for c in PAIR_CLASSES)
        for i, method in enumerate(methods):
            row = here.loc[method]
            kind = "baseline" if method == BASELINE else ("model" if method in MODELS else "")
            split_cell = (f'<td class="name" rowspan="{len(methods)}"><b>{html.escape(split)}</b><br>'
                          f"<small>pos/neg {counts}</small></td>") if i == 0 else ""
            cells = "".join(f"<td>{_cell(row, f'auroc_pc{c}')}</td>" for c in PAIR_CLASSES) + "".join(
                f"<td>{_cell(row, f'aupr_ratio_pc{c}')}</td>" for c in PAIR_CLASSES)
            out.append(f'<tr class="{kind}">{split_cell}<td class="name">{html.escape(method)}</td>{cells}</tr>')
    out.append("</tbody></table>")
    return "".join(out)


def seeds_table(metrics: pd.DataFrame) -> str:
    """Every job's row (per seed), folded away under a <details>."""
    cols = ["split", "method", "seed", "auroc", "aupr", "aupr_ratio", "epr", "mcc", "f1", "n_pos", "n_neg",
            "train_seconds"]
    cols = [c for c in cols if c in metrics.columns]
    head = "".join(f"<th>{c}</th>" for c in cols)
    rows = []
    for _, r in metrics.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if c in ("split", "method"):
                cells.append(f'<td class="name">{html.escape(str(v))}</td>')
            elif c in ("seed", "n_pos", "n_neg"):
                cells.append(f"<td>{_num(float(v), 0)}</td>")
            else:
                cells.append(f"<td>{_num(float(v), 1 if c == 'train_seconds' else 3)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f"<details><summary>every job (per seed, {len(metrics)} rows)</summary><table><thead><tr>{head}</tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table></details>")


def dataset_section(dataset: str, summary: pd.DataFrame, metrics: pd.DataFrame, data: dict,
                    figures: dict, curve_seed: int) -> tuple[str, list[dict]]:
    warnings = model_warnings(summary)
    losers = {(w["split"], w["model"]) for w in warnings}
    anchor = html.escape(dataset)
    parts = [f'<section id="{anchor}"><h2>Dataset {anchor}</h2>']
    parts.append("<h3>Data</h3><table class=\"data\"><tbody>" + "".join(
        f'<tr><th class="name">{html.escape(k)}</th><td>{v}</td></tr>' for k, v in data.items()) + "</tbody></table>")
    parts.append("<h3>Methods x splits</h3>")
    n_seeds = sorted(set(summary["n_seeds"].astype(int)))
    parts.append(f'<p class="muted">Mean ± sample sd over seeds ({", ".join(map(str, n_seeds))} per cell; '
                 "no sd with one seed). MCC and F1 for the classifiers at their decision threshold. "
                 "Bold: best mean AUROC of the split; red: a model that does not beat degree.</p>")
    if BASELINE not in set(summary["method"]):
        parts.append('<div class="note">The degree baseline was not run, so the models were not checked '
                     "against it.</div>")
    elif not warnings and set(MODELS) & set(summary["method"]):
        parts.append('<div class="ok">Every model beats the degree baseline in mean AUROC on every split.</div>')
    parts.extend(warning_html(w, dataset) for w in warnings)
    parts.append(methods_table(summary, losers))
    parts.append(seeds_table(metrics))
    parts.append("<h3>Per pair class</h3>")
    parts.append('<p class="muted">Test pairs by how many of their two genes occur in training pairs '
                 "(2, 1 or 0). A class with one label only has no AUROC (–).</p>")
    parts.append(pair_class_table(summary))
    if "pair_class" in figures:
        parts.append(_img(figures["pair_class"], f"{dataset} AUROC per pair class"))
    parts.append(f"<h3>ROC and precision-recall curves (seed {curve_seed})</h3>")
    for split in _ordered(summary["split"].unique(), SPLIT_ORDER):
        if f"curves_{split}" in figures:
            parts.append(_img(figures[f"curves_{split}"], f"{dataset} {split} ROC and PR curves"))
    if "knockout" in figures:
        parts.append("<h3>Knockout prediction (MTLGRN)</h3>")
        cols = knockout_columns(summary)
        if cols:
            rows = summary[summary["method"] == "mtlgrn"].set_index("split")
            head = "".join(f"<th>{html.escape(KNOCKOUT_METRICS[c])}</th>" for c in cols)
            body = "".join(
                f'<tr><td class="name">{html.escape(s)}</td>'
                + "".join(f"<td>{_cell(rows.loc[s], c)}</td>" for c in cols) + "</tr>"
                for s in _ordered(rows.index, SPLIT_ORDER))
            parts.append(f'<table class="knockout"><thead><tr><th class="name">split</th>{head}</tr></thead>'
                         f"<tbody>{body}</tbody></table>")
            parts.append(_img(figures["knockout"], f"{dataset} knockout prediction"))
        else:
            parts.append('<div class="note">MTLGRN reported no knockout metrics for this dataset '
                         "(no knockout samples, or the knockout task is disabled).</div>")
    parts.append("</section>")
    return "\n".join(parts), warnings


def build_report(
    datasets: list[str],
    out_html: str | Path,
    figures_dir: str | Path,
    methods: list[str],
    splits: list[str],
    curve_seed: int = 0,
    root: str | Path = "results",
) -> list[dict]:
    """Write the figures under `figures_dir` and the self-contained `out_html`; return the warnings."""
    root = Path(root)
    sections, all_warnings = [], []
    for dataset in datasets:
        comparison = root / dataset / "comparison"
        summary = read_comparison(comparison / "summary.tsv")
        metrics = read_comparison(comparison / "metrics.tsv")
        summary, metrics = with_runtime(summary, metrics, comparison / "runtime.tsv")
        if summary.empty:
            raise InputError(f"{comparison / 'summary.tsv'}: no rows; the comparison has no jobs")
        figures = {}
        names = figure_names(splits, methods)
        for split in splits:
            preds = {}
            for method in _ordered(methods, METHOD_ORDER):
                path = root / dataset / "predictions" / method / split / f"seed{curve_seed}.tsv.gz"
                preds[method] = read_predictions(path)
            path = figure_path(figures_dir, dataset, f"curves_{split}")
            curves_figure(preds, f"{dataset} — split {split}, seed {curve_seed}", path)
            figures[f"curves_{split}"] = path
        path = figure_path(figures_dir, dataset, "pair_class")
        pair_class_figure(summary, f"{dataset} — AUROC per pair class (genes seen in training)", path)
        figures["pair_class"] = path
        if "knockout" in names:
            path = figure_path(figures_dir, dataset, "knockout")
            knockout_figure(summary, f"{dataset} — MTLGRN knockout prediction", path)
            figures["knockout"] = path
        section, warnings = dataset_section(dataset, summary, metrics, data_summary(root, dataset), figures,
                                            curve_seed)
        sections.append(section)
        all_warnings.extend(dict(w, dataset=dataset) for w in warnings)
    write_text(page(sections, all_warnings, datasets), out_html)
    return all_warnings


def page(sections: list[str], warnings: list[dict], datasets: list[str]) -> str:
    if warnings:
        items = "".join(
            f'<li><a href="#{html.escape(w["dataset"])}">{html.escape(w["dataset"])}</a>: {html.escape(w["model"])} '
            f'on {html.escape(w["split"])} ({_num(w["model_auroc"])} vs degree {_num(w["degree_auroc"])})</li>'
            for w in warnings)
        top = (f'<div class="warning" role="alert"><b>{len(warnings)} model x split result(s) do not beat the '
               f"degree baseline in mean AUROC:</b><ul>{items}</ul></div>")
    else:
        top = ""
    toc = " · ".join(f'<a href="#{html.escape(d)}">{html.escape(d)}</a>' for d in datasets)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>grnflow comparison</title><style>{CSS}</style></head><body>"
        "<h1>grnflow: GRN inference compared against baselines</h1>"
        f"<p>Datasets: {toc}. Every method scores the same test pairs of each split; metrics are recomputed "
        "from the predictions. Baselines: <b>degree</b> (product of training degrees, no expression), "
        "<b>correlation</b> (|Pearson|), <b>trees</b> (GENIE3-style importances), <b>random</b>.</p>"
        f"{top}\n" + "\n".join(sections) + "\n</body></html>\n"
    )
