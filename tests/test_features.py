"""Gene features for MTLGRN: exact k-mer counts, gene-table encoding, PCA output."""

import logging

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA

from grnflow.errors import InputError
from grnflow.features import (
    gene_features,
    kmer_block,
    kmer_counts,
    kmer_frequencies,
    read_fasta,
    reduce_pca,
    table_features,
)

DIMERS = [a + b for a in "ACGT" for b in "ACGT"]


def as_dict(row):
    return {DIMERS[i]: int(v) for i, v in enumerate(row) if v}


def test_kmer_counts_exact_forward():
    counts = kmer_counts(["ACGTAC"], 2)
    assert counts.shape == (1, 16)
    assert as_dict(counts[0]) == {"AC": 2, "CG": 1, "GT": 1, "TA": 1}


def test_kmer_counts_both_strands_add_reverse_complement():
    # reverse complement of ACGTAC is GTACGT: GT TA AC CG GT
    counts = kmer_counts(["ACGTAC"], 2, both_strands=True)
    assert as_dict(counts[0]) == {"AC": 3, "CG": 2, "GT": 3, "TA": 2}


def test_kmer_counts_skip_n_and_sequence_boundaries():
    counts = kmer_counts(["ACNGT", "ac", "T", "", "GG"], 2)
    assert as_dict(counts[0]) == {"AC": 1, "GT": 1}  # CN, NG skipped
    assert as_dict(counts[1]) == {"AC": 1}  # lower case counts
    assert as_dict(counts[2]) == {}  # too short; no window across "ac"|"T"
    assert as_dict(counts[3]) == {}
    assert as_dict(counts[4]) == {"GG": 1}  # no window across "T"|"GG"


def test_kmer_index_is_base4_with_a_c_g_t():
    counts = kmer_counts(["TTT", "ACG"], 3)
    assert np.flatnonzero(counts[0]).tolist() == [63]
    assert np.flatnonzero(counts[1]).tolist() == [0 * 16 + 1 * 4 + 2]


def test_kmer_frequencies_sum_to_one_or_zero():
    freq = kmer_frequencies(["ACGTAC", "NNNN"], 2)
    assert freq[0].sum() == pytest.approx(1.0)
    assert freq[0][DIMERS.index("AC")] == pytest.approx(0.4)
    assert freq[1].sum() == 0


def test_kmer_presence_is_binary_forward_strand_as_the_seed():
    # mtlgrn.paper_mode: 1 where the k-mer occurs at all (AC twice -> 1), forward strand only
    presence = kmer_frequencies(["ACGTAC", "NNNN"], 2, both_strands=False, presence=True)
    assert as_dict(presence[0]) == {"AC": 1, "CG": 1, "GT": 1, "TA": 1}
    assert set(np.unique(presence)) == {0.0, 1.0} and presence[1].sum() == 0


def test_read_fasta(tmp_path):
    path = tmp_path / "p.fa"
    path.write_text(">g1 promoter\nACG\nTT\n>g2\n\nGG\n")
    assert read_fasta(path) == {"g1": "ACGTT", "g2": "GG"}
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    assert read_fasta(empty) == {}
    dup = tmp_path / "dup.fa"
    dup.write_text(">g1\nA\n>g1\nC\n")
    with pytest.raises(InputError, match=r"dup.fa: line 3: .*g1 occurs twice"):
        read_fasta(dup)


def test_table_features_one_hot_and_standardised(tmp_path):
    path = tmp_path / "genes.tsv"
    path.write_text("gene\ttf\tcog\tlength\ng1\t1\tK\t100\ng2\t0\tE\t300\ng3\t0\tK\t\n")
    table = table_features(path, ["g1", "g2", "g3", "g4"], "gene", ["cog"], ["length"])
    assert list(table.columns) == ["length", "cog_E", "cog_K", "no_gene_features"]
    # length: mean 200, sd 100 -> -1, +1; missing (g3) and absent (g4) -> 0
    assert table["length"].tolist() == [-1.0, 1.0, 0.0, 0.0]
    assert table["cog_K"].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert table["cog_E"].tolist() == [0.0, 1.0, 0.0, 0.0]
    assert table["no_gene_features"].tolist() == [0.0, 0.0, 0.0, 1.0]


def test_table_features_errors_name_file_and_column(tmp_path):
    path = tmp_path / "genes.tsv"
    path.write_text("gene\tlength\ng1\t10\ng2\tlong\n")
    with pytest.raises(InputError, match=r"genes.tsv: column length should be numeric.*'long'.*g2"):
        table_features(path, ["g1", "g2"], 0, [], ["length"])
    with pytest.raises(InputError, match=r"genes.tsv: column\(s\) cog .*not in the table"):
        table_features(path, ["g1"], 0, ["cog"], [])


def _expression(tmp_path, genes, n_samples=6, seed=0):
    rng = np.random.default_rng(seed)
    expr = pd.DataFrame(rng.normal(size=(len(genes), n_samples)), columns=[f"s{i}" for i in range(n_samples)])
    expr.insert(0, "gene", genes)
    path = tmp_path / "expression.tsv"
    expr.to_csv(path, sep="\t", index=False)
    return path


def test_gene_features_kmers_and_table(tmp_path, caplog):
    genes = ["g1", "g2", "g3", "g4"]
    expr = _expression(tmp_path, genes)
    fasta = tmp_path / "promoters.fa"
    fasta.write_text(">g1\nACGTACGTAAAA\n>g2\nTTTTGGGCCA\n>g4\nACGTTTGACCAN\n>other\nAAAA\n")
    table = tmp_path / "genes.tsv"
    table.write_text("gene\ttf\tcog\ng1\t1\tK\ng2\t0\tE\ng3\t0\tK\ng4\t1\tE\n")
    out = tmp_path / "features.tsv"
    with caplog.at_level(logging.INFO):
        result = gene_features(expr, fasta, None, out, table, "gene", ["cog"], ["tf"], kmer=2, pca_variance=1.0, kmer_strands="both", kmer_presence=False, expression_weight=0.0)
    assert "3 of 4 genes with a promoter; 1 without one" in caplog.text
    written = pd.read_csv(out, sep="\t")
    assert written["gene"].tolist() == genes
    assert list(written.columns[1:]) == [f"pc{i + 1}" for i in range(written.shape[1] - 1)]
    # 4 genes -> at most 3 informative components, all kept with pca_variance=1
    assert written.shape[1] - 1 <= 4
    np.testing.assert_allclose(written.iloc[:, 1:].to_numpy(), result.iloc[:, 1:].to_numpy(), rtol=1e-6)
    # deterministic: a second run writes the identical file
    out2 = tmp_path / "features2.tsv"
    gene_features(expr, fasta, None, out2, table, "gene", ["cog"], ["tf"], kmer=2, pca_variance=1.0, kmer_strands="both", kmer_presence=False, expression_weight=0.0)
    assert out.read_bytes() == out2.read_bytes()


def test_gene_features_without_genome_or_table_falls_back_to_expression(tmp_path, caplog):
    genes = [f"g{i}" for i in range(10)]
    expr = _expression(tmp_path, genes, n_samples=8)
    fasta = tmp_path / "promoters.fa"
    fasta.write_text("")
    samples = tmp_path / "samples.tsv"
    samples.write_text(
        "sample\tknockout\tcontrols\n"
        + "".join(f"s{i}\t\t\n" for i in range(6))
        + "s6\tg1\ts0;s1\ns7\tg1\ts0;s1\n"
    )
    out = tmp_path / "features.tsv"
    with caplog.at_level(logging.INFO):
        gene_features(expr, fasta, samples, out, None, kmer=3, pca_variance=0.95, kmer_strands="both", kmer_presence=False, expression_weight=0.0)
    assert "k-mer features off" in caplog.text
    assert "fall back to the expression profile over 6 non-knockout samples" in caplog.text
    written = pd.read_csv(out, sep="\t")
    assert written["gene"].tolist() == genes
    assert 1 <= written.shape[1] - 1 <= 6


def test_gene_features_empty_fasta_uses_table_only(tmp_path, caplog):
    genes = ["a", "b", "c"]
    expr = _expression(tmp_path, genes)
    fasta = tmp_path / "promoters.fa"
    fasta.write_text("")
    table = tmp_path / "genes.csv"
    table.write_text("id,len\na,1\nb,2\nc,4\n")
    out = tmp_path / "features.tsv"
    with caplog.at_level(logging.INFO):
        gene_features(expr, fasta, None, out, table, 0, [], ["len"], kmer=2, pca_variance=0.95, kmer_strands="both", kmer_presence=False, expression_weight=0.0)
    assert "k-mer features off" in caplog.text
    assert "fall back" not in caplog.text
    written = pd.read_csv(out, sep="\t")
    # one numeric column -> one component, ordered like the standardised length
    assert written.shape == (3, 2)
    pc = written["pc1"].to_numpy()
    assert np.all(np.diff(pc) > 0) or np.all(np.diff(pc) < 0)


def test_kmer_block_indicator_weighs_as_one_kmer_column():
    freq = np.array([[0.5, 0.5, 0.0], [0.25, 0.25, 0.5], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    have = np.array([True, True, False, True])
    block = kmer_block(freq, have)
    var = block.var(axis=0)
    assert var.sum() == pytest.approx(1.0)
    assert var[-1] == pytest.approx(var[:-1].mean())  # indicator = one average k-mer column
    assert block[2, -1] > 0 and block[0, -1] == 0
    # every gene with a promoter: the indicator column is constant zero
    assert (kmer_block(freq[:2], have[:2])[:, -1] == 0).all()


def test_reduce_pca_solvers_agree_exactly_up_to_sign():
    rng = np.random.default_rng(0)
    tall = rng.normal(size=(60, 8)) @ np.diag([5, 4, 3, 2, 1, 0.5, 0.2, 0.1])
    scores, ratio = reduce_pca(tall, 0.9)  # 8 <= 1.5 x 60: covariance eigendecomposition
    ref = PCA(n_components=0.9, svd_solver="full").fit(tall)
    assert scores.shape[1] == ref.n_components_
    np.testing.assert_allclose(np.abs(scores), np.abs(ref.transform(tall)), atol=1e-9)
    np.testing.assert_allclose(ratio, ref.explained_variance_ratio_, atol=1e-12)
    again, _ = reduce_pca(tall, 0.9)
    assert np.array_equal(scores, again)  # deterministic


def test_expression_weight_adds_the_expression_block_and_weighs_it(tmp_path, caplog):
    """`expression_weight` w > 0 joins each gene's non-knockout expression profile to the
    k-mer block at w times its standard deviation: the larger w, the closer the features'
    gene-gene similarities to the expression's; w = 0 leaves the k-mer features alone."""
    rng = np.random.default_rng(1)
    genes = [f"g{i}" for i in range(30)]
    expr = _expression(tmp_path, genes, n_samples=12, seed=1)
    fasta = tmp_path / "promoters.fa"
    fasta.write_text("".join(f">{g}\n{''.join(rng.choice(list('ACGT'), 80))}\n" for g in genes))
    samples = tmp_path / "samples.tsv"
    samples.write_text("sample\tknockout\tcontrols\n" + "".join(f"s{i}\t\t\n" for i in range(10)) + "s10\tg1\ts0\ns11\tg2\ts0\n")
    common = dict(kmer=3, pca_variance=1.0, kmer_strands="both", kmer_presence=False)
    profiles = pd.read_csv(expr, sep="\t", index_col=0).iloc[:, :10].to_numpy()  # non-knockout samples
    target = np.corrcoef(profiles)[np.triu_indices(len(genes), 1)]

    def similarity_to_expression(weight):
        out = tmp_path / f"features_{weight}.tsv"
        gene_features(expr, fasta, samples, out, None, **common, expression_weight=weight)
        x = pd.read_csv(out, sep="\t", index_col=0).to_numpy()
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        return out, np.corrcoef((x @ x.T)[np.triu_indices(len(genes), 1)], target)[0, 1]

    plain = tmp_path / "plain.tsv"  # w = 0: the sample table (which only picks profiles) is unused
    gene_features(expr, fasta, None, plain, None, **common, expression_weight=0.0)
    off, r_off = similarity_to_expression(0.0)
    assert off.read_bytes() == plain.read_bytes()
    with caplog.at_level(logging.INFO):
        _, r_one = similarity_to_expression(1.0)
    assert "expression features: each gene's profile over 10 non-knockout samples, weight 1" in caplog.text
    _, r_five = similarity_to_expression(5.0)
    assert abs(r_off) < 0.3 < r_one < r_five, (r_off, r_one, r_five)
    assert r_five > 0.85
