"""Reference network cleaning: formats, signs, dropped edges, TF lists, ID mapping, errors."""

import logging

import numpy as np
import pandas as pd
import pytest

from grnflow.errors import InputError
from grnflow.network import build_network, parse_signs

GENES = ["g1", "g2", "g3", "g4", "g5"]


def expression(tmp_path, genes=GENES):
    path = tmp_path / "expression.tsv"
    pd.DataFrame({"gene": genes, "s1": 0.0}).to_csv(path, sep="\t", index=False)
    return path


def run(tmp_path, text, name="net.tsv", **kwargs):
    net = tmp_path / name
    net.write_text(text)
    out = tmp_path / "out"
    result = build_network(net, expression(tmp_path), out / "network.tsv", out / "tfs.txt",
                           out / "dropped.tsv", **kwargs)
    written = pd.read_csv(out / "network.tsv", sep="\t")
    assert written.equals(result)
    dropped = pd.read_csv(out / "dropped.tsv", sep="\t")
    tfs = (out / "tfs.txt").read_text().split()
    return result, dropped, tfs


def test_edges_signs_duplicates_selfloops_and_absent_genes(tmp_path):
    text = (
        "tf\tgene\teffect\n"
        "g1\tg2\t+\n"
        "g1\tg3\trepressor\n"
        "g2\tg2\t+\n"
        "g1\tg2\t-\n"
        "g3\tg4\t?\n"
        "g3\tg4\tactivator\n"
        "gX\tg4\t+\n"
        "g4\tgY\t-\n"
        "g5\tg1\tdual\n"
    )
    net, dropped, tfs = run(tmp_path, text, regulator_column="tf", target_column="gene", sign_column="effect")
    assert net.values.tolist() == [["g1", "g2", 0], ["g1", "g3", -1], ["g3", "g4", 1], ["g5", "g1", 0]]
    assert dropped.values.tolist() == [
        ["g2", "g2", "self-loop"],
        ["g1", "g2", "duplicate"],
        ["g3", "g4", "duplicate"],
        ["gX", "g4", "regulator not in expression"],
        ["g4", "gY", "target not in expression"],
    ]
    assert tfs == ["g1", "g3", "g5"]


def test_positional_columns_without_header_comma_separated(tmp_path):
    net, _, _ = run(tmp_path, "x,g1,g2,1\nx,g3,g1,-1\n", name="net.csv", regulator_column=1,
                    target_column=2, sign_column=3, header=False)
    assert net.values.tolist() == [["g1", "g2", 1], ["g3", "g1", -1]]


def test_dream_presence_flag_skips_zero_rows(tmp_path):
    net, dropped, _ = run(tmp_path, "g1\tg2\t1\ng1\tg3\t0\ng2\tg3\t1\n", header=False)
    assert net.values.tolist() == [["g1", "g2", 0], ["g2", "g3", 0]]
    assert dropped.empty


def test_matrix_targets_by_regulators(tmp_path):
    # R-style header (one field short), quoted names, -1/0/1 values.
    text = '"g1"\t"g2"\t"g3"\n"g1"\t0\t1\t0\n"g2"\t0\t0\t-1\n"g4"\t1\t1\t0\n'
    net, _, tfs = run(tmp_path, text, format="matrix")
    assert net.values.tolist() == [["g1", "g4", 1], ["g2", "g1", 1], ["g2", "g4", 1], ["g3", "g2", -1]]
    assert tfs == ["g1", "g2", "g3"]


def test_unsigned_matrix_gives_unknown_signs(tmp_path):
    net, _, _ = run(tmp_path, "gene\tg1\tg2\ng3\t1\t0\ng4\t0\t1\n", format="matrix")
    assert net.values.tolist() == [["g1", "g3", 0], ["g2", "g4", 0]]


def test_synthetic_reads_columns_by_name(tmp_path):
    net, _, _ = run(tmp_path, "target\tsign\tregulator\ng2\t-1\tg1\n", synthetic=True)
    assert net.values.tolist() == [["g1", "g2", -1]]


def test_tf_list_unknown_genes_warned_and_left_out(tmp_path, caplog):
    tf_file = tmp_path / "tfs.txt"
    tf_file.write_text('"g3"\nnotagene\ng1\ng3\n')
    with caplog.at_level(logging.WARNING):
        _, _, tfs = run(tmp_path, "g1\tg2\ng4\tg5\n", tfs=tf_file, header=False)
    assert tfs == ["g3", "g1"]
    assert "notagene" in caplog.text and "g4" in caplog.text  # unknown TF; regulator not in the list


def test_tf_list_without_known_gene_is_an_error(tmp_path):
    tf_file = tmp_path / "tfs.txt"
    tf_file.write_text("crp\nfur\n")
    with pytest.raises(InputError, match=r"tfs\.txt: none of its 2 TF IDs.*crp, fur"):
        run(tmp_path, "g1\tg2\n", tfs=tf_file, header=False)


def test_empty_network(tmp_path):
    with pytest.raises(InputError, match=r"net\.tsv: the file is empty"):
        run(tmp_path, "")
    with pytest.raises(InputError, match=r"net\.tsv: the network has no edges"):
        run(tmp_path, "regulator\ttarget\n")


def test_no_edge_in_expression_suggests_id_map(tmp_path):
    with pytest.raises(InputError) as err:
        run(tmp_path, "regulator\ttarget\ncrp\tb0001\nfur\tb0002\n")
    message = str(err.value)
    assert "net.tsv" in message and "crp, fur, b0001, b0002" in message and "id_map: annotation" in message


def test_bad_sign_and_bad_column(tmp_path):
    with pytest.raises(InputError, match=r"unrecognised sign value\(s\) 'up-ish'"):
        run(tmp_path, "a\tb\ts\ng1\tg2\tup-ish\n", sign_column="s")
    with pytest.raises(InputError, match=r"no column 'tf'.*a, b"):
        run(tmp_path, "a\tb\ng1\tg2\n", regulator_column="tf")
    with pytest.raises(InputError, match=r"`network.target_column: 5` but the table has 2 column"):
        run(tmp_path, "a\tb\ng1\tg2\n", target_column=5)


def test_parse_signs_vocabulary():
    values = pd.Series(["+", "-", "?", "+-", "1", "-1", "0", "Activator", "repressor", "dual", "2.5", "-0.3"])
    assert parse_signs(values, "x").tolist() == [1, -1, 0, 0, 1, -1, 0, 1, -1, 0, 1, -1]


def test_id_map_through_annotation(tmp_path):
    gff = tmp_path / "a.gff3"
    gff.write_text(
        "##gff-version 3\n"
        "c\tt\tgene\t1\t9\t.\t+\t.\tID=gene-g1;Name=crp;locus_tag=g1\n"
        "c\tt\tgene\t20\t29\t.\t+\t.\tID=gene-g2;Name=thrA;gene_synonym=thrA1,Hs;locus_tag=g2\n"
        "c\tt\tgene\t40\t49\t.\t+\t.\tID=gene-g3;Name=thrB;gene_synonym=Hs;locus_tag=g3\n"
    )
    tf_file = tmp_path / "tfs.txt"
    tf_file.write_text("crp\n")
    net, dropped, tfs = run(tmp_path, "crp\tthrA1\ncrp\tg3\nFMN\tthrB\ncrp\tHs\n", header=False,
                            id_map="annotation", annotation=gff, tfs=tf_file)
    assert net.values.tolist() == [["g1", "g2", 0], ["g1", "g3", 0]]
    assert dropped.values.tolist() == [["FMN", "g3", "regulator not in expression"],
                                       ["g1", "Hs", "target not in expression"]]
    assert tfs == ["g1"]
    with pytest.raises(InputError, match=r"id_map: annotation` needs an `annotation` input"):
        run(tmp_path, "crp\tthrA1\n", header=False, id_map="annotation")


def test_real_ecoli_trn_maps_regulator_names(shared_data, tmp_path):
    folder = shared_data / "ecoli_precise278"
    genes = pd.read_csv(folder / "log_tpm.csv.gz", usecols=[0]).iloc[:, 0].tolist()
    out = tmp_path / "out"
    net = build_network(folder / "trn.csv", expression(tmp_path, genes), out / "n.tsv", out / "t.txt",
                        out / "d.tsv", annotation=folder / "genome.gff3.gz", id_map="annotation",
                        sign_column="effect")
    crp = net[net["regulator"] == "b3357"]
    assert len(crp) > 300 and set(net["sign"]) == {-1, 0, 1}
    assert not (net["regulator"] == net["target"]).any()
    assert not net.duplicated(["regulator", "target"]).any()


@pytest.mark.slow
def test_network_and_promoters_rules_with_name_mapping(tmp_path):
    """A non-synthetic dataset: gene names in the network mapped to locus tags, promoters cut."""
    from Bio.Seq import Seq
    from helpers import run_workflow

    genes = [f"b{i:04d}" for i in range(1, 31)]
    pd.DataFrame(np.random.default_rng(0).normal(size=(30, 12)), index=pd.Index(genes, name="gene"),
                 columns=[f"s{i}" for i in range(12)]).to_csv(tmp_path / "expr.tsv", sep="\t")
    seq = "".join(np.random.default_rng(1).choice(list("ACGT"), size=30 * 300))
    (tmp_path / "genome.fa").write_text(">chr1\n" + "\n".join(seq[i : i + 60] for i in range(0, len(seq), 60)) + "\n")
    (tmp_path / "ann.gff3").write_text("##gff-version 3\n" + "".join(
        f"chr1\tt\tgene\t{i * 300 + 150}\t{i * 300 + 250}\t.\t{'+-'[i % 2]}\t.\tID=gene-{g};Name=n{g};locus_tag={g}\n"
        for i, g in enumerate(genes)))
    (tmp_path / "net.csv").write_text("tf,target,effect\n" + "".join(
        f"n{genes[r]},n{genes[t]},{'+-?'[t % 3]}\n" for r in range(3) for t in range(3, 30) if t % (r + 2) == 0)
        + "FMN,nb0004,-\n")
    config = {
        "datasets": {"toy": {
            "inputs": {"expression": "expr.tsv", "network": "net.csv", "genome": "genome.fa", "annotation": "ann.gff3"},
            "network": {"regulator_column": "tf", "target_column": "target", "sign_column": "effect",
                        "id_map": "annotation"},
            "promoter": {"upstream": 100},
        }},
        "methods": ["degree"],
    }
    run_workflow(tmp_path, config, ["results/toy/data/network.tsv", "results/toy/data/promoters.fa"])
    net = pd.read_csv(tmp_path / "results/toy/data/network.tsv", sep="\t")
    assert set(net["regulator"]) == {"b0001", "b0002", "b0003"} and set(net["target"]) <= set(genes)
    assert set(net["sign"]) == {1, -1, 0}
    dropped = pd.read_csv(tmp_path / "results/toy/data/network.dropped.tsv", sep="\t")
    assert dropped.values.tolist() == [["FMN", "b0004", "regulator not in expression"]]
    fasta = (tmp_path / "results/toy/data/promoters.fa").read_text().split("\n")
    assert fasta[0] == ">b0001" and fasta[1] == seq[149 - 100 : 149]  # '+' gene, TSS 150
    assert fasta[2] == ">b0002" and fasta[3] == str(Seq(seq[550:650]).reverse_complement())  # '-', TSS 550


def test_gene_named_na_is_a_gene(tmp_path):
    net = tmp_path / "net.tsv"
    net.write_text("regulator\ttarget\nNA\tnull\n")
    out = tmp_path / "out"
    result = build_network(net, expression(tmp_path, ["NA", "null"]), out / "n.tsv", out / "t.txt", out / "d.tsv")
    assert result.values.tolist() == [["NA", "null", 0]]


# --- weighted networks (issue 16) ----------------------------------------------------------------


def test_weights_become_edges_only_with_threshold_or_top_k(tmp_path):
    from grnflow.network_weights import select_weighted

    edges = pd.DataFrame({"regulator": ["A", "A", "A", "B", "B"], "target": ["x", "y", "z", "x", "y"],
                          "sign": 0})
    weights = np.array([0.9, -0.2, 0.5, 0.05, 0.3])
    with pytest.raises(InputError, match="holds weights or scores, not 0/1 edges"):
        select_weighted(edges, weights, "net.tsv", None, None, "column w")
    kept = select_weighted(edges, weights, "net.tsv", 0.25, None, "column w")
    assert kept[["regulator", "target"]].values.tolist() == [["A", "x"], ["A", "z"], ["B", "y"]]
    top = select_weighted(edges, weights, "net.tsv", None, 1, "column w")
    assert top[["regulator", "target", "sign"]].values.tolist() == [["A", "x", 1], ["B", "y", 1]]
    with pytest.raises(InputError, match="no weight reaches `network.threshold` 2"):
        select_weighted(edges, weights, "net.tsv", 2, None, "column w")
