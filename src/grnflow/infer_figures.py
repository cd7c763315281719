"""Figures of the inferred network (report section "Inferred network"; rule `infer_figures`).

- `network.png`: the top consensus edges drawn with matplotlib alone: regulators on an inner
  circle (by out-degree), targets on an outer ring next to their regulators, known edges grey,
  novel edges red (opacity = stability); the hubs are labelled with their names.
- `regulons.png`: predicted regulon sizes (consensus top k) per regulator, known vs novel.
- `stability.png`: the stability distribution of the consensus top-k edges, known vs novel.
- `responders.png`: the strongest predicted responders of the in-silico knockouts of the
  largest regulons' regulators (MTLGRN's final models).
- `knockouts.png`: direction accuracy of MTLGRN's held-out knockout predictions beside the
  simple predictors and the majority-class share (when MTLGRN ran).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.io import atomic_path, read_table

log = logging.getLogger(__name__)

FIGURES = ("network", "regulons", "stability", "knockouts", "responders")
DRAW_EDGES = 300  # the network drawing shows at most this many top edges (readability)
HUBS = 12  # regulators labelled in the drawing
TOP_REGULONS = 30


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    _plt().close(fig)


def _label(ids: pd.Series, names: pd.Series | None) -> pd.Series:
    if names is None:
        return ids
    return names.where(names.astype(str) != "", ids)


def ring_layout(edges: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Positions: regulators on a circle of radius 1 (most targets first), other genes on a
    ring of radius 2 at the mean angle of their regulators (jittered apart deterministically)."""
    outdeg = edges["regulator"].value_counts()
    regs = list(outdeg.index)
    angle = {r: 2 * np.pi * i / max(len(regs), 1) for i, r in enumerate(regs)}
    pos = {r: (np.cos(a), np.sin(a)) for r, a in angle.items()}
    others = edges[~edges["target"].isin(angle)]
    if len(others):
        vec = others.assign(c=others["regulator"].map(lambda r: np.cos(angle[r])),
                            s=others["regulator"].map(lambda r: np.sin(angle[r])))
        mean = vec.groupby("target")[["c", "s"]].mean()
        theta = np.arctan2(mean["s"], mean["c"]).to_numpy()
        order = np.argsort(theta, kind="stable")
        # Half the regulators' mean angle, half an even spread: near their regulators, apart.
        spread = 0.5 * theta[order] + 0.5 * np.linspace(-np.pi, np.pi, len(order), endpoint=False)
        for gene, a in zip(mean.index[order], spread):
            pos[gene] = (2 * np.cos(a), 2 * np.sin(a))
    return pos


def network_figure(consensus: pd.DataFrame, path: str | Path, title: str) -> None:
    """Drawing of the top consensus edges with the hubs labelled."""
    plt = _plt()
    top = consensus.head(DRAW_EDGES)
    fig, ax = plt.subplots(figsize=(9, 9))
    pos = ring_layout(top)
    for known, colour in ((1, "0.45"), (0, "tab:red")):
        part = top[top["known"] == known]
        for row in part.itertuples(index=False):
            (x0, y0), (x1, y1) = pos[row.regulator], pos[row.target]
            ax.plot([x0, x1], [y0, y1], color=colour, lw=0.7,
                    alpha=float(0.15 + 0.75 * row.stability))
    regs = set(top["regulator"])
    xy = np.array([pos[g] for g in pos])
    is_reg = np.array([g in regs for g in pos])
    ax.scatter(xy[~is_reg, 0], xy[~is_reg, 1], s=8, color="tab:blue", zorder=3)
    ax.scatter(xy[is_reg, 0], xy[is_reg, 1], s=40, color="tab:orange", zorder=4)
    names = dict(zip(top["regulator"], _label(top["regulator"], top.get("regulator_name"))))
    for hub in top["regulator"].value_counts().index[:HUBS]:
        x, y = pos[hub]
        ax.annotate(str(names[hub]), (x, y), xytext=(4, 4), textcoords="offset points",
                    fontsize=9, weight="bold", zorder=5)
    ax.plot([], [], color="0.45", label="known (reference)")
    ax.plot([], [], color="tab:red", label="novel (opacity = stability)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"{title}: top {len(top)} consensus edges")
    ax.set_axis_off()
    ax.set_aspect("equal")
    _save(fig, path)


def regulons_figure(regulons: pd.DataFrame, path: str | Path, title: str) -> None:
    """Predicted regulon sizes of the largest regulons, known and novel targets stacked."""
    plt = _plt()
    counts = regulons.groupby(["regulator", "known"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=[1, 0], fill_value=0)
    counts = counts.assign(total=counts.sum(axis=1)).sort_values("total", ascending=False)
    counts = counts.head(TOP_REGULONS)[::-1]
    labels = counts.index
    if "regulator_name" in regulons.columns:
        names = regulons.drop_duplicates("regulator").set_index("regulator")["regulator_name"]
        labels = [names.get(r) or r for r in counts.index]
    fig, ax = plt.subplots(figsize=(7, max(3, 0.25 * len(counts) + 1)))
    ax.barh(labels, counts[1], color="0.45", label="known")
    ax.barh(labels, counts[0], left=counts[1], color="tab:red", label="novel")
    ax.set_xlabel("predicted targets (consensus top k)")
    ax.set_title(f"{title}: regulon sizes")
    ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)


def stability_figure(consensus: pd.DataFrame, k: int, path: str | Path, title: str) -> None:
    """Histogram of `stability` over the consensus top-k edges, known vs novel."""
    plt = _plt()
    top = consensus[consensus["rank"] <= k]
    bins = np.linspace(0, 1, 11)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist([top.loc[top["known"] == 1, "stability"], top.loc[top["known"] == 0, "stability"]],
            bins=bins, stacked=True, color=["0.45", "tab:red"], label=["known", "novel"])
    ax.set_xlabel("stability (share of method x seed rankings with the edge in their top k)")
    ax.set_ylabel("edges")
    ax.set_title(f"{title}: stability of the top {k} consensus edges")
    ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)


def knockouts_figure(comparison: pd.DataFrame, path: str | Path, title: str) -> None:
    """Mean direction accuracy per predictor beside the majority-class share (held-out KOs)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    if comparison.empty:
        ax.text(0.5, 0.5, "no held-out knockout experiments", ha="center", va="center")
        ax.set_axis_off()
    else:
        mean = comparison.groupby("predictor", sort=False)[["direction_accuracy", "pearson"]].mean()
        ax.bar(mean.index, mean["direction_accuracy"], color=["tab:green", "0.6", "tab:blue"][: len(mean)])
        ax.axhline(comparison["majority_share"].mean(), color="black", ls="--",
                   label="majority-class share")
        for i, (name, row) in enumerate(mean.iterrows()):
            r = "" if pd.isna(row["pearson"]) else f"r={row['pearson']:.2f}"
            ax.text(i, row["direction_accuracy"] + 0.01, r, ha="center", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("direction accuracy (up/down/unchanged)")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"{title}: held-out knockouts")
    fig.tight_layout()
    _save(fig, path)


def responders_figure(knockouts: pd.DataFrame, regulons: pd.DataFrame, path: str | Path,
                      title: str, n_regulators: int = 3, n_genes: int = 12) -> None:
    """Top predicted responders (largest |change|) of a few regulators' in-silico knockouts."""
    plt = _plt()
    names = {}
    if "regulator_name" in regulons.columns:
        names = dict(zip(regulons["regulator"], regulons["regulator_name"]))
        names.update(zip(regulons["target"], regulons["target_name"]))
    chosen = [r for r in regulons["regulator"].value_counts().index if r in knockouts.index]
    chosen = [r for r in chosen if knockouts.loc[r].notna().any()][:n_regulators]
    fig, axes = plt.subplots(1, max(len(chosen), 1), figsize=(4 * max(len(chosen), 1), 4), squeeze=False)
    if not chosen:
        axes[0, 0].text(0.5, 0.5, "no in-silico knockouts (MTLGRN's knockout task did not run)",
                        ha="center", va="center", fontsize=9)
        axes[0, 0].set_axis_off()
    for ax, reg in zip(axes[0], chosen):
        change = knockouts.loc[reg].drop(reg, errors="ignore").dropna()
        top = change.reindex(change.abs().sort_values(ascending=False).index[:n_genes])[::-1]
        ax.barh([names.get(g) or g for g in top.index], top.to_numpy(),
                color=np.where(top.to_numpy() < 0, "tab:blue", "tab:red"))
        ax.axvline(0, color="black", lw=0.5)
        ax.set_title(f"knockout of {names.get(reg) or reg}", fontsize=10)
        ax.set_xlabel("predicted change")
    fig.suptitle(f"{title}: in-silico knockouts, strongest predicted responders")
    fig.tight_layout()
    _save(fig, path)


def run_infer_figures(dataset: str, consensus: str | Path, regulons: str | Path,
                      outdir: str | Path, comparison: str | Path | None = None,
                      knockouts: str | Path | None = None) -> None:
    """Write the inferred-network figures of one dataset under `outdir`."""
    outdir = Path(outdir)
    dtype = {"regulator": str, "target": str, "regulator_name": str, "target_name": str}
    reg = read_table(regulons, sep="tab", dtype=dtype, keep_default_na=False)
    k = max(len(reg), 1)  # the regulon table holds the consensus top k
    cons = read_table(consensus, sep="tab", dtype=dtype, keep_default_na=False, nrows=max(k, DRAW_EDGES))
    network_figure(cons, outdir / "network.png", dataset)
    regulons_figure(reg, outdir / "regulons.png", dataset)
    stability_figure(cons, k, outdir / "stability.png", dataset)
    table = read_table(comparison, sep="tab") if comparison else pd.DataFrame()
    knockouts_figure(table, outdir / "knockouts.png", dataset)
    ko = (read_table(knockouts, sep="tab", dtype={"regulator": str}).set_index("regulator")
          if knockouts else pd.DataFrame())
    responders_figure(ko, reg, outdir / "responders.png", dataset)
    log.info("figures written under %s", outdir)
