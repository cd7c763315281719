"""Dataset-specific adapters behind the presets in config/datasets/*.yaml.

Each adapter reads a raw public file (as downloaded) and writes one of the generic input
formats (expression genes x samples, sample sheet, reference edges, gene features) under
`results/{dataset}/prepared/`, so the generic stages never need to know a dataset's quirks.
Choices are documented in docs/datasets.md.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from grnflow.annotation import gene_index, name_to_id, read_annotation
from grnflow.errors import InputError
from grnflow.io import read_gene_list, read_table, write_tsv

log = logging.getLogger("grnflow.presets")

# The PRECISE sample table's condition columns and wild-type strains are data, kept in
# resources/precise_samples.yaml (an input of rule prepare_precise_samples).
PRECISE_REFERENCE_KEYS = ("condition_columns", "wild_types")
DELETION = re.compile(r"(?:^|\s)del_([A-Za-z0-9]+)")


# --- name mapping -------------------------------------------------------------------------


def annotation_name_map(annotation: str | Path) -> dict[str, str]:
    """Gene name/synonym/locus_tag -> locus_tag over every `gene` feature of a GFF3 file."""
    features = read_annotation(annotation)
    tags = features["locus_tag"].dropna().unique() if "locus_tag" in features else []
    if len(tags) == 0:
        raise InputError(
            f"{annotation}: no `gene` feature has a locus_tag attribute; these presets map "
            "gene names to locus tags (E. coli b-numbers, yeast systematic names)"
        )
    index = gene_index(features, list(tags), id_attributes=("locus_tag",))
    return name_to_id(index)


# --- E. coli PRECISE-278 ------------------------------------------------------------------


def read_precise_reference(path: str | Path) -> dict[str, list[str]]:
    """{`condition_columns`: [...], `wild_types`: [...]} of resources/precise_samples.yaml."""
    try:
        spec = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: reference file not found; it ships with the workflow in resources/") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise InputError(f"{path}: not valid YAML{where}: {exc}") from None
    if not isinstance(spec, dict):
        raise InputError(f"{path}: expected a mapping with keys {', '.join(PRECISE_REFERENCE_KEYS)}")
    out = {}
    for key in PRECISE_REFERENCE_KEYS:
        value = spec.get(key)
        if not (isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value)):
            raise InputError(
                f"{path}: key `{key}` must be a non-empty list of names (one `- name` per line); "
                f"found {value!r}"
            )
        out[key] = [v.strip() for v in value]
    return out


def precise_samples(
    sample_table: str | Path,
    annotation: str | Path,
    out: str | Path,
    max_condition_differences: int = 1,
    *,
    reference: str | Path,
) -> pd.DataFrame:
    """PRECISE sample table -> sample sheet `sample knockout controls` (one row per sample).

    A knockout is a strain whose description names exactly one `del_<gene>`; double
    deletions (`del_menF del_entC`) and domain mutants (`crp_delAr1`) are not single-gene
    knockouts and get an empty `knockout`. Controls are unmodified parent-strain samples of
    the same project whose culture differs in the fewest condition columns (at most
    `max_condition_differences`); a knockout without any such control is kept as an
    ordinary sample and logged. Knocked-out gene names are mapped to locus tags (b-numbers)
    through the annotation. `reference` (resources/precise_samples.yaml) names the condition
    columns and the wild-type strains.
    """
    ref = read_precise_reference(reference)
    table = read_table(sample_table, sep="comma", dtype=str, keep_default_na=False)
    first = table.columns[0]
    needed = ["project", "Strain Description", *ref["condition_columns"]]
    absent = [c for c in needed if c not in table.columns]
    if absent:
        raise InputError(
            f"{sample_table}: column(s) {', '.join(absent)} missing; expected the PRECISE "
            "sample_table.csv of pymodulon (sample ID first, then Study, project, condition, ...)"
        )
    table = table.rename(columns={first: "sample"})
    strain = table["Strain Description"].str.strip()
    deleted = strain.str.findall(DELETION)
    n_del = deleted.str.len()
    wild = strain.isin(ref["wild_types"]).to_numpy()
    name_map = annotation_name_map(annotation)
    single = (n_del == 1).to_numpy()
    ko_name = np.where(single, deleted.str[0].fillna(""), "")
    unmapped = sorted({n for n in ko_name[single] if n not in name_map})
    if unmapped:
        raise InputError(
            f"{sample_table}: knocked-out gene(s) {', '.join(unmapped)} are not gene names in "
            f"{annotation}; check that the annotation is the MG1655 RefSeq GFF3"
        )
    ko_id = np.array([name_map.get(n, "") for n in ko_name], dtype=object)

    cond = table[ref["condition_columns"]].to_numpy(dtype=str)
    project = table["project"].to_numpy(dtype=str)
    samples = table["sample"].to_numpy(dtype=str)
    controls = np.full(len(table), "", dtype=object)
    for i in np.flatnonzero(single):
        cand = np.flatnonzero(wild & (project == project[i]))
        if len(cand):
            diff = (cond[cand] != cond[i]).sum(axis=1)
            best = diff.min()
            if best <= max_condition_differences:
                controls[i] = ";".join(samples[cand[diff == best]])
    orphan = single & (controls == "")
    for i in np.flatnonzero(orphan):
        log.warning("knockout sample %s (%s) has no wild-type control in project %s within %d "
                    "condition difference(s); kept as an ordinary sample",
                    samples[i], ko_name[i], project[i], max_condition_differences)
    ko_id[orphan] = ""
    other = (n_del > 1).to_numpy() | (strain.str.contains("del", case=False) & (n_del == 0)).to_numpy()
    for i in np.flatnonzero(other):
        log.info("sample %s (%s) is not a single-gene knockout; no knockout assigned",
                 samples[i], strain.iloc[i])
    sheet = pd.DataFrame({"sample": samples, "knockout": ko_id, "controls": controls})
    used = sheet["knockout"] != ""
    log.info("%d knockout samples of %d genes; %d samples in total",
             int(used.sum()), sheet.loc[used, "knockout"].nunique(), len(sheet))
    write_tsv(sheet, out)
    return sheet


def precise_gene_features(gene_table: str | Path, tfs: str | Path, out: str | Path) -> pd.DataFrame:
    """gene_table.csv -> `gene strand length operon operon_size cog tf` (one row per gene).

    `operon_size` is the number of genes sharing the gene's operon; `tf` is 1 for the
    regulators of the reference network (`tfs`, one gene ID per line), else 0.
    """
    table = read_table(gene_table, sep="comma", dtype=str, keep_default_na=False)
    table = table.rename(columns={table.columns[0]: "gene"})
    absent = [c for c in ("strand", "length", "operon", "COG") if c not in table.columns]
    if absent:
        raise InputError(
            f"{gene_table}: column(s) {', '.join(absent)} missing; expected pymodulon's "
            "gene_table.csv (locus tag, start, end, strand, gene_name, length, operon, COG, ...)"
        )
    operon = table["operon"].replace("", np.nan)
    size = operon.map(operon.value_counts()).fillna(1).astype(int)
    tf_ids = set(read_gene_list(tfs))
    features = pd.DataFrame(
        {
            "gene": table["gene"],
            "strand": table["strand"],
            "length": pd.to_numeric(table["length"], errors="coerce"),
            "operon": operon.fillna(table["gene"]),
            "operon_size": size,
            "cog": table["COG"].replace("", "No COG Annotation"),
            "tf": table["gene"].isin(tf_ids).astype(int),
        }
    )
    log.info("%d genes, %d operons, %d COG classes, %d TFs flagged", len(features),
             features["operon"].nunique(), features["cog"].nunique(), int(features["tf"].sum()))
    write_tsv(features, out)
    return features


# --- DREAM gold standards, expression and knockouts ---------------------------------------


def dream_gold_standard(
    gold_standard: str | Path, out: str | Path, gene_ids: str | Path | None = None
) -> pd.DataFrame:
    """DREAM `TF target 0/1` table -> edges `regulator target` of the rows labelled 1.

    With `gene_ids` (DREAM5 `#ID Name` map), anonymous IDs (G1, G2 ...) are replaced by the
    gene names, which the network stage then maps to expression IDs (`network.id_map`).
    """
    table = read_table(gold_standard, sep="tab", header=None, dtype=str)
    if table.shape[1] < 3:
        raise InputError(
            f"{gold_standard}: expected 3 tab-separated columns (regulator, target, 0/1), "
            f"found {table.shape[1]}"
        )
    label = pd.to_numeric(table[2], errors="coerce")
    if label.isna().any():
        line = int(np.flatnonzero(label.isna().to_numpy())[0]) + 1
        raise InputError(f"{gold_standard}, line {line}: third column {table[2].iloc[line - 1]!r} is not 0/1")
    edges = table.loc[label.to_numpy() == 1, [0, 1]].set_axis(["regulator", "target"], axis=1)
    if gene_ids is not None:
        ids = read_table(gene_ids, sep="tab", dtype=str)
        names = dict(zip(ids.iloc[:, 0], ids.iloc[:, 1]))
        unknown = sorted(set(edges["regulator"]).union(edges["target"]) - set(names))
        if unknown:
            raise InputError(
                f"{gold_standard}: ID(s) {', '.join(unknown[:5])} are not in {gene_ids}; "
                "use the gene-ID map of the same DREAM5 network"
            )
        edges = edges.replace({"regulator": names, "target": names})
    edges = edges.reset_index(drop=True)
    log.info("%d gold-standard edges (label 1) of %d rows", len(edges), len(table))
    write_tsv(edges, out)
    return edges


def dream4_knockouts(
    expression: str | Path, out_expression: str | Path, out_samples: str | Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """DREAM4 (inferelator layout) -> expression `gene` x samples + sample sheet.

    Every condition is kept (wild type, knockouts, knockdowns, time series); knockout
    samples `G<i>(-/-)` get `knockout` G<i> and the `wt` sample as control. Knockdowns
    (`(+/-)`, partial) and time-series points are ordinary samples.
    """
    matrix = read_table(expression, sep="tab", index_col=0)
    matrix.index = matrix.index.astype(str)
    matrix.columns = [str(c) for c in matrix.columns]
    if "wt" not in matrix.columns:
        raise InputError(f"{expression}: no `wt` (wild type) column; expected DREAM4 expression "
                         "with conditions wt, G1(-/-) ...")
    ko = pd.Series(matrix.columns).str.extract(r"^(.+)\(-/-\)$", expand=False)
    unknown = sorted(set(ko.dropna()) - set(matrix.index))
    if unknown:
        raise InputError(f"{expression}: knockout column(s) of unknown gene(s) {', '.join(unknown[:5])}")
    sheet = pd.DataFrame(
        {
            "sample": matrix.columns,
            "knockout": ko.fillna("").to_numpy(),
            "controls": np.where(ko.notna(), "wt", ""),
        }
    )
    matrix = matrix.rename_axis("gene")
    log.info("%d genes x %d samples, %d knockouts", matrix.shape[0], matrix.shape[1], int(ko.notna().sum()))
    write_tsv(matrix, out_expression, index=True)
    write_tsv(sheet, out_samples)
    return matrix, sheet


def dream5_expression(
    expression: str | Path, gene_ids: str | Path, out: str | Path
) -> pd.DataFrame:
    """DREAM5 `expression_data.tsv` (chips x anonymous genes) -> `gene` x samples with names.

    Samples are named chip1, chip2 ... in file order (row i = chip_features row i); decoy
    genes (`decoyN`) are dropped.
    """
    chips = read_table(expression, sep="tab")
    ids = read_table(gene_ids, sep="tab", dtype=str)
    names = dict(zip(ids.iloc[:, 0], ids.iloc[:, 1]))
    unknown = [c for c in chips.columns if c not in names]
    if unknown:
        raise InputError(f"{expression}: column(s) {', '.join(map(str, unknown[:5]))} are not in "
                         f"{gene_ids}; use the gene-ID map of the same DREAM5 network")
    matrix = chips.T
    matrix.columns = [f"chip{i}" for i in range(1, chips.shape[0] + 1)]
    matrix.index = [names[c] for c in chips.columns]
    matrix = matrix[~matrix.index.str.startswith("decoy")]
    matrix = matrix.rename_axis("gene")
    log.info("%d genes x %d chips", matrix.shape[0], matrix.shape[1])
    write_tsv(matrix, out, index=True)
    return matrix


# --- BioGRID ------------------------------------------------------------------------------

BIOGRID_COLUMNS = (
    "Systematic Name Interactor A",
    "Systematic Name Interactor B",
    "Experimental System Type",
    "Organism ID Interactor A",
    "Organism ID Interactor B",
)


def biogrid_network(
    tab3: str | Path, out: str | Path, system_type: str = "physical", organism: int = 559292
) -> pd.DataFrame:
    """BioGRID TAB3 -> undirected edges `regulator target` between systematic names.

    Kept: both interactors of `organism` (S. cerevisiae S288C = 559292), experimental system
    type `system_type` (`physical`, `genetic` or `any`), no self-interactions; each unordered
    pair once (BioGRID interactions are undirected: `regulator` is the alphabetically first).
    """
    table = read_table(tab3, sep="tab", dtype=str, keep_default_na=False)
    absent = [c for c in BIOGRID_COLUMNS if c not in table.columns]
    if absent:
        raise InputError(f"{tab3}: column(s) {', '.join(absent)} missing; expected a BioGRID "
                         "TAB3 file (BIOGRID-ORGANISM-...tab3.txt)")
    org = str(organism)
    keep = (table["Organism ID Interactor A"] == org) & (table["Organism ID Interactor B"] == org)
    if system_type != "any":
        keep &= table["Experimental System Type"].str.lower() == system_type
    a = table.loc[keep, BIOGRID_COLUMNS[0]]
    b = table.loc[keep, BIOGRID_COLUMNS[1]]
    valid = (a != "-") & (b != "-") & (a != "") & (b != "") & (a != b)
    pairs = pd.DataFrame({"regulator": np.minimum(a[valid], b[valid]),
                          "target": np.maximum(a[valid], b[valid])})
    pairs = pairs.drop_duplicates().sort_values(["regulator", "target"]).reset_index(drop=True)
    log.info("%d unique %s interactions of organism %s (from %d rows)", len(pairs), system_type, org, len(table))
    write_tsv(pairs, out)
    return pairs


__all__ = [
    "annotation_name_map",
    "read_precise_reference",
    "precise_samples",
    "precise_gene_features",
    "dream_gold_standard",
    "dream4_knockouts",
    "dream5_expression",
    "biogrid_network",
]
