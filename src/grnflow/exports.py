"""Exports of the consensus network for other tools: BEELINE rankedEdges and GraphML.

- `rankedEdges.csv`: BEELINE's layout (tab-separated despite the name, as BEELINE writes it):
  `Gene1 Gene2 EdgeWeight`, every candidate, best first.
- `network.graphml`: the top-N consensus edges as a directed graph (Cytoscape, networkx, Gephi
  open it). Node attributes `name`, `regulator`; edge attributes `score`, `rank`, `stability`,
  `known` and, for reference edges, `sign` (1 activation, -1 repression, 0 unknown).
  Written with the standard library (networkx is not a dependency).
"""

from __future__ import annotations

import logging
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from grnflow.infer import read_candidates, read_ranking, read_reference, reference_matrices
from grnflow.io import atomic_path, write_tsv

log = logging.getLogger(__name__)

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
# (key id, element, attribute name, GraphML type)
NODE_KEYS = [("d0", "node", "name", "string"), ("d1", "node", "regulator", "boolean")]
EDGE_KEYS = [("d2", "edge", "score", "double"), ("d3", "edge", "rank", "double"),
             ("d4", "edge", "stability", "double"), ("d5", "edge", "known", "boolean"),
             ("d6", "edge", "sign", "int")]


def ranked_edges(table: pd.DataFrame) -> pd.DataFrame:
    """BEELINE's `Gene1 Gene2 EdgeWeight` from a ranking (already best first)."""
    return pd.DataFrame({"Gene1": table["regulator"].to_numpy(),
                         "Gene2": table["target"].to_numpy(),
                         "EdgeWeight": table["score"].to_numpy()})


def _data(key: str, value) -> str:
    return f"<data key={quoteattr(key)}>{value}</data>"


def graphml_text(edges: pd.DataFrame, regulators, names: dict | None = None) -> str:
    """GraphML of `edges` (`regulator target score rank stability known [sign]`)."""
    names = names or {}
    regulators = set(regulators)
    nodes = pd.unique(np.concatenate([edges["regulator"].to_numpy(), edges["target"].to_numpy()]))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<graphml xmlns="{GRAPHML_NS}" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
             f'xsi:schemaLocation="{GRAPHML_NS} {GRAPHML_NS}/1.0/graphml.xsd">']
    for key, element, name, kind in NODE_KEYS + EDGE_KEYS:
        lines.append(f'  <key id="{key}" for="{element}" attr.name="{name}" attr.type="{kind}"/>')
    lines.append('  <graph id="consensus" edgedefault="directed">')
    for node in nodes:
        label = names.get(node) or node
        lines.append(f"    <node id={quoteattr(str(node))}>{_data('d0', _escape(label))}"
                     f"{_data('d1', str(node in regulators).lower())}</node>")
    has_sign = "sign" in edges.columns
    for i, row in enumerate(edges.itertuples(index=False)):
        known = bool(row.known)
        attrs = (_data("d2", repr(float(row.score))) + _data("d3", repr(float(row.rank)))
                 + _data("d4", repr(float(row.stability))) + _data("d5", str(known).lower()))
        if known and has_sign:
            attrs += _data("d6", int(row.sign))
        lines.append(f"    <edge id=\"e{i}\" source={quoteattr(str(row.regulator))} "
                     f"target={quoteattr(str(row.target))}>{attrs}</edge>")
    lines += ["  </graph>", "</graphml>", ""]
    return "\n".join(lines)


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def run_exports(consensus: str | Path, expression: str | Path, tfs: str | Path,
                network: str | Path, out_ranked: str | Path, out_graphml: str | Path,
                network_n: int = 1000) -> pd.DataFrame:
    """Write rankedEdges.csv (all candidates) and the GraphML of the top `network_n` edges."""
    table = read_ranking(consensus)
    write_tsv(ranked_edges(table), out_ranked, float_format="%.8g")
    cands = read_candidates(expression, tfs)
    _, sign = reference_matrices(cands, read_reference(network), str(network))
    top = table.head(network_n).copy()
    r, t = cands.cells(top["regulator"], top["target"])
    top["sign"] = sign[r, t]
    names = {}
    if "regulator_name" in top.columns:
        names = dict(zip(top["regulator"], top["regulator_name"]))
        names.update(zip(top["target"], top["target_name"]))
    with atomic_path(out_graphml) as tmp:
        Path(tmp).write_text(graphml_text(top, cands.regulators, names), encoding="utf-8")
    log.info("GraphML: %d edges (%d known) between %d genes", len(top), int(top["known"].sum()),
             len(set(top["regulator"]) | set(top["target"])))
    return top
