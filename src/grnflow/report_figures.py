"""The report's figures (matplotlib, written as PNG files): ROC/PR curves, AUROC per pair class,
MTLGRN's knockout panel. `grnflow.report` embeds them in the page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.io import atomic_path
from grnflow.methods import MODELS, ORDER
from grnflow.metrics import PAIR_CLASSES, pr_points, roc_points
from grnflow.names import SPLITS

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


def ordered(values, order) -> list:
    """The distinct `values` in `order` (names.SPLITS, methods.ORDER), unknown ones last by name."""
    values = list(dict.fromkeys(values))
    rank = {v: i for i, v in enumerate(order)}
    return sorted(values, key=lambda v: (rank.get(v, len(rank)), str(v)))


# ---------------------------------------------------------------- file layout of the figures
def figure_path(figures_dir: str | Path, dataset: str, name: str) -> Path:
    """`{figures_dir}/{dataset}/{name}.png`; names: `curves_{split}`, `pair_class`, `knockout`."""
    return Path(figures_dir) / dataset / f"{name}.png"


def figure_names(splits, methods) -> list[str]:
    """The figures written per dataset (the knockout panel only when MTLGRN runs)."""
    names = [f"curves_{s}" for s in splits] + ["pair_class"]
    return names + (["knockout"] if "mtlgrn" in methods else [])


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


def pair_class_figure(summary: pd.DataFrame, title: str, path: str | Path, small=frozenset()) -> None:
    """Mean AUROC (± sd) per pair class, one panel per split, one bar per method; a (split,
    class) group in `small` (too few positives or negatives) is a grey box with its n, no bars."""
    plt = _plt()
    splits = ordered(summary["split"].unique(), SPLITS)
    fig, axes = plt.subplots(1, max(len(splits), 1), figsize=(3.6 * max(len(splits), 1), 3.6), squeeze=False)
    for ax, split in zip(axes[0], splits):
        here = summary[summary["split"] == split].set_index("method")
        methods = ordered(here.index, ORDER)
        width = 0.8 / max(len(methods), 1)
        for j, method in enumerate(methods):
            means = [np.nan if (split, c) in small else here.loc[method].get(f"auroc_pc{c}_mean", np.nan)
                     for c in PAIR_CLASSES]
            sds = [here.loc[method].get(f"auroc_pc{c}_sd", np.nan) for c in PAIR_CLASSES]
            x = np.arange(len(PAIR_CLASSES)) + (j - (len(methods) - 1) / 2) * width
            ax.bar(x, np.nan_to_num(means), width, yerr=np.where(np.isnan(means), 0, np.nan_to_num(sds)),
                   color=COLORS.get(method), label=method, capsize=2)
        first = here.loc[methods[0]] if methods else pd.Series(dtype=float)
        for i, c in enumerate(PAIR_CLASSES):
            if (split, c) in small:
                ax.axvspan(i - 0.42, i + 0.42, color="#eeeeee", zorder=0)
                n_pos, n_neg = first.get(f"n_pos_pc{c}_mean", 0), first.get(f"n_neg_pc{c}_mean", 0)
                ax.text(i, 0.5, f"n = {np.nan_to_num(n_pos):.0f}/{np.nan_to_num(n_neg):.0f}\ntoo few",
                        ha="center", va="center", fontsize=7, color="#888888")
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
        splits = ordered(rows["split"].unique(), SPLITS)
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
