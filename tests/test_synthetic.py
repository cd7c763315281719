"""The embedded demo dataset: its ground truth must really be present in the generated files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grnflow.errors import InputError
from grnflow.synthetic import OUTPUT_NAMES, check_params, write_dataset
from helpers import TINY_CONFIG, run_workflow, tiny_config

TINY = TINY_CONFIG["datasets"]["demo"]["synthetic"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tests' tiny demo (its generation speed is bench/bench_synthetic.py's target)."""
    out = tmp_path_factory.mktemp("tiny")
    write_dataset(TINY, out)
    return out


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    """The default size (300 genes, 30 TFs, 160 conditions, 24 knockouts)."""
    out = tmp_path_factory.mktemp("default")
    write_dataset({}, out)
    return out


def read(out, name, **kwargs):
    return pd.read_csv(out / name, sep="\t", keep_default_na=False, **kwargs)


def read_fasta(path) -> dict[str, str]:
    seqs, name, chunks = {}, None, []
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            if name is not None:
                seqs[name] = "".join(chunks)
            name, chunks = line[1:].split()[0], []
        else:
            chunks.append(line.strip())
    seqs[name] = "".join(chunks)
    return seqs


def read_genes(path) -> pd.DataFrame:
    gff = pd.read_csv(
        path,
        sep="\t",
        comment="#",
        header=None,
        names=["seqid", "source", "type", "start", "end", "score", "strand", "phase", "attrs"],
    )
    gff = gff[gff["type"] == "gene"].copy()
    attrs = gff["attrs"].str.split(";").map(lambda kv: dict(x.split("=", 1) for x in kv))
    gff["gene"] = attrs.map(lambda a: a["ID"])
    gff["name"] = attrs.map(lambda a: a["Name"])
    return gff


def revcomp(seq: str) -> str:
    return seq.translate(str.maketrans("ACGT", "TGCA"))[::-1]


def upstream(genome: dict[str, str], row, length: int) -> str:
    """The `length` bp before the TSS, 5'->3' in the gene's orientation (GFF is 1-based)."""
    seq = genome[row.seqid]
    if row.strand == "+":
        return seq[row.start - 1 - length : row.start - 1]
    return revcomp(seq[row.end : row.end + length])


def test_all_files_written(tiny):
    for name in OUTPUT_NAMES:
        assert (tiny / name).stat().st_size > 0, name


def test_network_is_signed_acyclic_and_targets_have_1_to_3_regulators(tiny):
    out = tiny
    net = read(out, "network.tsv")
    tfs = (out / "tfs.txt").read_text().split()
    genes = read(out, "expression.tsv")["gene"].tolist()
    assert list(net.columns) == ["regulator", "target", "sign"]
    assert len(tfs) == TINY["n_tfs"] and len(genes) == TINY["n_genes"]
    assert genes[0] == "G0001" and set(tfs) <= set(genes)
    assert set(net["regulator"]) <= set(tfs) and set(net["target"]) <= set(genes)
    assert set(net["sign"]) == {1, -1}
    assert not (net["regulator"] == net["target"]).any()
    assert not net.duplicated(["regulator", "target"]).any()
    assert net.groupby("target").size().between(1, 3).all()
    # Every TF has targets, and some TFs regulate TFs.
    assert set(net["regulator"]) == set(tfs)
    assert net["target"].isin(tfs).any()
    # Acyclic: repeatedly strip genes without incoming edges.
    edges = set(zip(net["regulator"], net["target"]))
    while edges:
        has_input = {t for _, t in edges}
        keep = {(r, t) for r, t in edges if r in has_input}
        assert keep != edges, "cycle in the network"
        edges = keep


def test_about_ten_percent_tfs_and_heavy_tailed_out_degree(tiny, default):
    out = tiny
    for folder, n_genes in ((out, TINY["n_genes"]), (default, 300)):
        tfs = (folder / "tfs.txt").read_text().split()
        assert 0.08 <= len(tfs) / n_genes <= 0.12
        outdeg = read(folder, "network.tsv").groupby("regulator").size()
        assert outdeg.max() >= 4 * outdeg.median(), outdeg.sort_values().tolist()
    outdeg = read(default, "network.tsv").groupby("regulator").size()
    assert outdeg.min() >= 1 and (outdeg <= 3).sum() >= 3  # many small regulons too


def test_samples_pair_every_knockout_with_matched_controls(tiny):
    out = tiny
    samples = read(out, "samples.tsv")
    expr = read(out, "expression.tsv")
    assert list(samples.columns) == ["sample", "knockout", "group"]
    assert samples["sample"].tolist() == expr.columns[1:].tolist()
    assert (samples["knockout"] == "").sum() >= TINY["n_conditions"]
    ko = samples[samples["knockout"] != ""]
    assert ko["knockout"].nunique() == TINY["n_knockouts"]
    tfs = (out / "tfs.txt").read_text().split()
    assert set(ko["knockout"]) <= set(tfs)
    for group, rows in samples[samples["group"].isin(ko["group"])].groupby("group"):
        assert (rows["knockout"] != "").sum() >= 2, group
        assert (rows["knockout"] == "").sum() >= 2, group
        assert rows.loc[rows["knockout"] != "", "knockout"].nunique() == 1
    # The knocked-out TFs are the hubs: none of the others has more targets.
    outdeg = read(out, "network.tsv").groupby("regulator").size()
    chosen = outdeg[list(set(ko["knockout"]))]
    assert chosen.min() >= outdeg.drop(chosen.index).max()
    # A knocked-out gene is not expressed.
    values = expr.set_index("gene")
    for _, row in ko.iterrows():
        assert values.at[row["knockout"], row["sample"]] == 0.0


def test_knockout_moves_true_targets_more_than_other_genes(tiny):
    out = tiny
    expr = read(out, "expression.tsv").set_index("gene")
    samples = read(out, "samples.tsv")
    net = read(out, "network.tsv")
    target_med, other_med = [], []
    for group, rows in samples[samples["group"].str.startswith("ko_")].groupby("group"):
        tf = rows.loc[rows["knockout"] != "", "knockout"].iloc[0]
        ko = expr[rows.loc[rows["knockout"] != "", "sample"]].mean(axis=1)
        wt = expr[rows.loc[rows["knockout"] == "", "sample"]].mean(axis=1)
        lfc = (ko - wt).abs().drop(tf)
        targets = net.loc[net["regulator"] == tf, "target"]
        target_med.append(lfc[targets].median())
        other_med.append(lfc.drop(targets).median())
    target_med, other_med = np.array(target_med), np.array(other_med)
    assert len(target_med) == TINY["n_knockouts"]
    assert np.median(target_med) > 2 * np.median(other_med), (target_med, other_med)
    assert (target_med > other_med).mean() >= 0.75


def test_targets_correlate_with_their_regulators(tiny):
    out = tiny
    expr = read(out, "expression.tsv").set_index("gene")
    samples = read(out, "samples.tsv")
    net = read(out, "network.tsv")
    conditions = samples.loc[samples["knockout"] == "", "sample"]
    corr = np.corrcoef(expr[conditions].to_numpy())
    pos = {g: i for i, g in enumerate(expr.index)}
    edge_r = corr[net["regulator"].map(pos), net["target"].map(pos)]
    iu = np.triu_indices(len(corr), 1)
    assert np.abs(edge_r).mean() > 1.5 * np.abs(corr[iu]).mean()
    # The sign is learnable too: activations correlate positively more often than repressions.
    act = edge_r[net["sign"].to_numpy() == 1]
    rep = edge_r[net["sign"].to_numpy() == -1]
    assert (act > 0).mean() > 0.7 and (rep < 0).mean() > 0.7


def test_every_promoter_carries_the_motif_of_each_regulator(tiny):
    out = tiny
    length = TINY["promoter_length"]
    genome = read_fasta(out / "genome.fa")
    genes = read_genes(out / "annotation.gff3")
    motifs = read(out, "truth/motifs.tsv").set_index("tf")["motif"]
    net = read(out, "network.tsv")
    assert len(genome) == TINY["n_contigs"]
    assert set(genes["gene"]) == set(read(out, "expression.tsv")["gene"])
    assert set(genes["strand"]) == {"+", "-"} and genes["seqid"].nunique() == TINY["n_contigs"]
    assert (genes["name"] == genes["gene"].str.lower()).all()
    assert motifs.str.len().between(8, 12).all() and motifs.is_unique
    assert sum(map(len, genome.values())) < 400_000
    promoters = {row.gene: upstream(genome, row, length) for row in genes.itertuples()}
    assert all(len(p) == length for p in promoters.values())
    for regulator, target in zip(net["regulator"], net["target"]):
        assert motifs[regulator] in promoters[target], (regulator, target)
    # Not in the other orientation by construction: the window on the wrong side lacks them.
    hits_true = np.mean([motifs[r] in promoters[t] for r, t in zip(net["regulator"], net["target"])])
    non_edges = [(tf, g) for tf in motifs.index for g in promoters]
    edge_set = set(zip(net["regulator"], net["target"]))
    hits_other = np.mean([motifs[tf] in promoters[g] for tf, g in non_edges if (tf, g) not in edge_set])
    assert hits_true == 1.0 and hits_other < 0.05


def test_promoter_windows_lie_between_genes(tiny):
    out = tiny
    length = TINY["promoter_length"]
    genome = read_fasta(out / "genome.fa")
    genes = read_genes(out / "annotation.gff3")
    for seqid, rows in genes.groupby("seqid"):
        rows = rows.sort_values("start")
        lo = np.where(rows["strand"] == "+", rows["start"] - length, rows["start"])
        hi = np.where(rows["strand"] == "+", rows["end"], rows["end"] + length)
        assert lo.min() >= 1 and hi.max() <= len(genome[seqid])
        # Gene + promoter spans do not overlap each other.
        assert (lo[1:] > hi[:-1]).all()
        assert (rows["start"].to_numpy()[1:] - rows["end"].to_numpy()[:-1] > length).all()


def test_gene_features(tiny):
    out = tiny
    feats = read(out, "gene_features.tsv")
    tfs = set((out / "tfs.txt").read_text().split())
    genes = read_genes(out / "annotation.gff3").set_index("gene")
    assert list(feats.columns) == ["gene", "tf", "cog", "length"]
    assert (feats["tf"] == feats["gene"].isin(tfs).astype(int)).all()
    assert feats["cog"].str.fullmatch("[A-Z]").all()
    span = (genes["end"] - genes["start"] + 1)[feats["gene"]].to_numpy()
    assert (feats["length"].to_numpy() == span).all()


def test_same_seed_same_bytes_other_seed_differs(tiny, tmp_path):
    out = tiny
    write_dataset(TINY, tmp_path / "again")
    write_dataset({**TINY, "seed": TINY["seed"] + 1}, tmp_path / "other")
    for name in OUTPUT_NAMES:
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes(), name
    for name in ("expression.tsv", "network.tsv", "genome.fa", "annotation.gff3", "truth/motifs.tsv"):
        assert (tmp_path / "other" / name).read_bytes() != (out / name).read_bytes(), name


def test_readme_explains_the_truth(tiny):
    out = tiny
    text = (out / "truth" / "README.txt").read_text()
    for word in ("network.tsv", "Hill", "knockout", "promoter", "motif", "seed=7"):
        assert word in text


@pytest.mark.parametrize(
    "change, key",
    [
        ({"n_tfs": 120}, "n_tfs"),
        ({"n_knockouts": 15}, "n_knockouts"),
        ({"promoter_length": 20}, "promoter_length"),
        ({"n_contigs": 500}, "n_contigs"),
        ({"n_gene": 5}, "n_gene"),
    ],
)
def test_bad_settings_name_the_key(change, key):
    with pytest.raises(InputError, match=rf"datasets\.demo\.synthetic.*{key}"):
        check_params({**TINY, **change}, where="datasets.demo.synthetic")


@pytest.mark.slow
def test_snakemake_synthesize(tmp_path):
    target = "results/demo/synthetic/expression.tsv"
    run_workflow(tmp_path, tiny_config(), targets=[target])
    write_dataset(TINY, tmp_path / "direct")
    for name in OUTPUT_NAMES:
        made = tmp_path / "results/demo/synthetic" / name
        assert made.read_bytes() == (tmp_path / "direct" / name).read_bytes(), name
    assert "done in" in (tmp_path / "logs/demo/synthesize.log").read_text()


def test_known_fraction_hides_the_rest_of_the_true_network(tmp_path, tiny):
    out = tiny
    assert len(read(out, "truth/hidden.tsv")) == 0  # default 1.0: the reference is the truth
    assert len(read(out, "network.tsv")) == len(read(out, "truth/edges.tsv"))
    write_dataset({**TINY, "known_fraction": 0.7}, tmp_path)
    net, hidden = read(tmp_path, "network.tsv"), read(tmp_path, "truth/hidden.tsv")
    truth = read(tmp_path, "truth/edges.tsv")
    key = lambda t: set(zip(t["regulator"], t["target"]))  # noqa: E731
    assert key(net) | key(hidden) == key(truth) and not key(net) & key(hidden)
    assert len(net) == round(0.7 * len(truth)) and key(truth[truth["known"] == 1]) == key(net)
    # Hiding edges changes nothing else: the expression is that of the full network.
    assert (tmp_path / "expression.tsv").read_bytes() == (out / "expression.tsv").read_bytes()
    with pytest.raises(InputError, match="known_fraction"):
        check_params({"known_fraction": 0})
