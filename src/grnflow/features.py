"""Gene features for MTLGRN: promoter k-mer profiles + biological gene table, reduced by PCA.

Design choices (see config/README.md, `mtlgrn` keys):
- k-mers are counted on the promoter as extracted (gene strand, 5'->3'); with
  `kmer_strands: both` the reverse complement is counted too, so a motif scores the same on
  either strand. k-mers containing anything but A/C/G/T (e.g. N) are skipped. Counts are
  turned into frequencies per gene, or (`mtlgrn.paper_mode`) into 0/1 presence as in the
  MTLGRN seed.
- A gene without a promoter gets a zero k-mer vector and the indicator `no_promoter` = 1.
- Gene-table features: categorical columns one-hot encoded, numeric columns standardised
  (missing values -> column mean, i.e. 0 after standardising). Genes absent from the table
  get zeros and the indicator `no_gene_features` = 1.
- The k-mer block and the gene-table block are each scaled to unit total variance before
  PCA so that neither drowns the other (k-mer frequencies are ~1/4^k, z-scores ~1).
- With no genome and no gene table, the fallback is the expression profile over the
  non-knockout samples (knockout profiles are evaluation targets), reduced by the same PCA:
  identity-free, and input-side information only.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from grnflow.errors import InputError
from grnflow.io import open_text, read_normalized, read_table, write_tsv

log = logging.getLogger("grnflow.features")

# A, C, G, T -> 0..3; everything else (N, IUPAC codes, gaps) -> 4 = invalid.
_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    _CODE[_b] = _i
    _CODE[ord(chr(_b).lower())] = _i


def read_fasta(path: str | Path) -> dict[str, str]:
    """Sequences of a FASTA file by record ID (first word of the header); empty file -> {}."""
    records: dict[str, list[str]] = {}
    current = None
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith(">"):
                name = line[1:].split()[0] if line[1:].split() else ""
                if not name:
                    raise InputError(f"{path}: line {lineno}: FASTA header without an ID")
                if name in records:
                    raise InputError(
                        f"{path}: line {lineno}: sequence ID {name} occurs twice; "
                        "each gene must have one promoter record"
                    )
                records[name] = []
                current = records[name]
            elif current is None:
                raise InputError(
                    f"{path}: line {lineno}: sequence before the first '>' header; "
                    "this is not a FASTA file"
                )
            else:
                current.append(line)
    return {k: "".join(v) for k, v in records.items()}


def kmer_counts(seqs: list[str], k: int, both_strands: bool = False) -> np.ndarray:
    """k-mer count matrix (len(seqs) x 4**k), k-mer index = base-4 number (A=0, C=1, G=2, T=3).

    Vectorised over all sequences at once: windows crossing a sequence boundary or holding
    a non-ACGT character are skipped.
    """
    n = len(seqs)
    width = 4**k
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=n)
    if n == 0 or lengths.sum() == 0:
        return np.zeros((n, width), dtype=np.float64)
    raw = np.frombuffer("".join(seqs).encode("ascii", "replace"), dtype=np.uint8)
    codes = _CODE[raw]
    owner = np.repeat(np.arange(n), lengths)
    n_win = len(codes) - k + 1
    if n_win <= 0:
        return np.zeros((n, width), dtype=np.float64)
    bad = np.concatenate([[0], np.cumsum(codes == 4)])
    ok = (bad[k:] - bad[:-k] == 0) & (owner[: n_win] == owner[k - 1 :])
    digits = np.where(codes == 4, 0, codes).astype(np.int64)
    index = np.zeros(n_win, dtype=np.int64)
    rc_index = np.zeros(n_win, dtype=np.int64)
    for j in range(k):  # loop over k positions only, vectorised over every window
        index = index * 4 + digits[j : j + n_win]
        # reverse complement: complement (3 - d), read from the window's end
        rc_index = rc_index * 4 + (3 - digits[k - 1 - j : k - 1 - j + n_win])
    flat = owner[:n_win][ok] * width + index[ok]
    counts = np.bincount(flat, minlength=n * width)
    if both_strands:
        counts = counts + np.bincount(owner[:n_win][ok] * width + rc_index[ok], minlength=n * width)
    return counts.reshape(n, width).astype(np.float64)


def kmer_frequencies(seqs: list[str], k: int, both_strands: bool = False, presence: bool = False) -> np.ndarray:
    """k-mer counts divided by each sequence's number of counted k-mers (0 rows stay 0); with
    `presence`, 1 where the k-mer occurs at all, else 0 (the MTLGRN seed's binary encoding)."""
    counts = kmer_counts(seqs, k, both_strands)
    if presence:
        return (counts > 0).astype(np.float64)
    total = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)


def table_features(
    path: str | Path,
    genes: list[str],
    id_column: str | int = 0,
    categorical: list[str] = (),
    numeric: list[str] = (),
) -> pd.DataFrame:
    """One-hot categorical + standardised numeric columns of a gene table, rows = `genes`."""
    table = read_table(path, dtype=str, keep_default_na=False, na_values=["", "NA", "NaN", "nan"])
    if isinstance(id_column, int):
        if not 0 <= id_column < table.shape[1]:
            raise InputError(
                f"{path}: gene_features.id_column {id_column} is out of range "
                f"(the table has {table.shape[1]} columns); set datasets.<name>.gene_features.id_column"
            )
        id_column = table.columns[id_column]
    wanted = [id_column, *categorical, *numeric]
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise InputError(
            f"{path}: column(s) {', '.join(map(str, missing))} named in datasets.<name>.gene_features "
            f"are not in the table (columns: {', '.join(map(str, table.columns))})"
        )
    table = table.drop_duplicates(subset=id_column, keep="first").set_index(id_column)
    table = table.reindex(genes)
    parts = []
    for col in numeric:
        values = pd.to_numeric(table[col], errors="coerce")
        present = table[col].notna()
        bad = present & values.isna()
        if bad.any():
            example = table.index[bad.to_numpy()][0]
            raise InputError(
                f"{path}: column {col} should be numeric but holds {table[col][example]!r} "
                f"(gene {example}); list it under `categorical` or fix the value"
            )
        v = values.to_numpy(dtype=float)
        mean = np.nanmean(v) if np.isfinite(v).any() else 0.0
        sd = np.nanstd(v) if np.isfinite(v).any() else 0.0
        z = (v - mean) / sd if sd > 0 else np.zeros_like(v)
        parts.append(pd.Series(np.nan_to_num(z, nan=0.0), index=genes, name=col))
    for col in categorical:
        parts.append(pd.get_dummies(table[col], prefix=col, dtype=float).set_axis(genes, axis=0))
    absent = table.isna().all(axis=1).to_numpy()
    parts.append(pd.Series(absent.astype(float), index=genes, name="no_gene_features"))
    return pd.concat(parts, axis=1)


def _unit_variance(block: np.ndarray) -> np.ndarray:
    """Scale a feature block so that its columns' variances sum to 1 (constant block -> as is)."""
    total = block.var(axis=0).sum()
    return block / np.sqrt(total) if total > 0 else block


def kmer_block(freq: np.ndarray, have: np.ndarray) -> np.ndarray:
    """k-mer frequencies + the `no_promoter` indicator, scaled to unit total variance.

    The 0/1 indicator is scaled to the variance of an average k-mer column: unscaled, its
    variance (0.015 with 1.5% of genes without promoter, E. coli) dwarfs that of all 4^k
    frequencies together (0.0015 at k=6), and PCA would keep it and drop the k-mer signal."""
    indicator = (~np.asarray(have, dtype=bool)).astype(float)
    if indicator.var() > 0:
        indicator *= np.sqrt(freq.var(axis=0).mean() / indicator.var())
    return _unit_variance(np.column_stack([freq, indicator]))


def expression_profiles(expr: pd.DataFrame, samples: str | Path | None) -> np.ndarray:
    """Each gene's expression over the non-knockout samples (knockout profiles are evaluation
    targets): input-side information, as GENER's and the correlation baseline's inputs."""
    knockout_samples = set()
    if samples:
        sheet = read_table(samples, sep="tab", dtype=str, keep_default_na=False)
        if "knockout" in sheet.columns:
            knockout_samples = set(sheet.loc[sheet["knockout"] != "", "sample"])
    cols = [c for c in expr.columns if c not in knockout_samples]
    return np.nan_to_num(expr[cols].to_numpy(dtype=float))


def reduce_pca(matrix: np.ndarray, variance: float) -> tuple[np.ndarray, np.ndarray]:
    """PCA scores keeping `variance` of the explained variance (1.0 keeps every component).

    Exact and deterministic either way: the eigendecomposition of the features x features
    covariance when features are not much more than genes (E. coli, 3,923 genes x 4,122
    features: ~9 s instead of ~21 s for the full SVD), else the full SVD (small datasets)."""
    n_components = None if variance >= 1 else variance
    solver = "covariance_eigh" if matrix.shape[1] <= 1.5 * matrix.shape[0] else "full"
    pca = PCA(n_components=n_components, svd_solver=solver)
    scores = pca.fit_transform(matrix)
    return scores, pca.explained_variance_ratio_


def gene_features(
    expression: str | Path,
    promoters: str | Path,
    samples: str | Path | None,
    out: str | Path,
    gene_table: str | Path | None = None,
    id_column: str | int = 0,
    categorical: list[str] = (),
    numeric: list[str] = (),
    *,
    kmer: int,
    kmer_strands: str,
    pca_variance: float,
    kmer_presence: bool,
    expression_weight: float,
) -> pd.DataFrame:
    """Write `out` (TSV: `gene`, `pc1`..`pcN`), one row per expression gene, in expression order.

    With `expression_weight` w > 0 (`mtlgrn.expression_weight`) each gene's expression profile
    over the non-knockout samples joins the k-mer and gene-table blocks before the PCA, scaled
    to w times their standard deviation (total variance w^2 against their 1 each); without a
    genome and a gene table it is the only block, unscaled."""
    expr = read_normalized(expression)
    genes = list(expr.index)
    blocks: list[np.ndarray] = []
    names: list[str] = []

    seqs = read_fasta(promoters)
    if seqs:
        have = np.array([g in seqs for g in genes])
        freq = kmer_frequencies([seqs.get(g, "") for g in genes], kmer, kmer_strands == "both", kmer_presence)
        no_kmer = have & (freq.sum(axis=1) == 0)
        log.info(
            "k-mer features: k=%d %s (%s strand%s), %d of %d genes with a promoter; "
            "%d without one get zeros + no_promoter=1; %d promoters had no valid %d-mer",
            kmer, "presence (0/1)" if kmer_presence else "frequencies", kmer_strands,
            "s" if kmer_strands == "both" else "", have.sum(), len(genes),
            (~have).sum(), no_kmer.sum(), kmer,
        )
        blocks.append(kmer_block(freq, have))
        names.append("kmer")
    else:
        log.info("k-mer features off: %s holds no promoter (no genome configured)", promoters)

    if gene_table:
        table = table_features(gene_table, genes, id_column, list(categorical), list(numeric))
        log.info(
            "gene-table features: %d columns from %s (categorical %s, numeric %s); %d genes absent",
            table.shape[1] - 1, gene_table, list(categorical) or "none", list(numeric) or "none",
            int(table["no_gene_features"].sum()),
        )
        if table.shape[1] > 1 or table["no_gene_features"].any():
            blocks.append(_unit_variance(table.to_numpy(dtype=float)))
            names.append("gene_table")

    if expression_weight > 0 or not blocks:
        profiles = expression_profiles(expr, samples)
        if not blocks:
            log.warning(
                "no genome and no gene table: gene features fall back to the expression profile "
                "over %d non-knockout samples (PCA-reduced)", profiles.shape[1],
            )
        else:
            log.info(
                "expression features: each gene's profile over %d non-knockout samples, weight %g",
                profiles.shape[1], expression_weight,
            )
        # with other blocks: w x unit total variance (alone: as it is)
        blocks.append(expression_weight * _unit_variance(profiles) if blocks else profiles)
        names.append("expression")

    matrix = np.column_stack(blocks)
    if matrix.var(axis=0).sum() == 0:
        log.warning("all gene features are constant; writing one constant feature column")
        scores, ratio = np.zeros((len(genes), 1)), np.array([0.0])
    else:
        scores, ratio = reduce_pca(matrix, pca_variance)
    log.info(
        "PCA: %d input features (%s) -> %d components, %.3f of the variance",
        matrix.shape[1], " + ".join(names), scores.shape[1], ratio.sum(),
    )
    table = pd.DataFrame(scores, columns=[f"pc{i + 1}" for i in range(scores.shape[1])])
    table.insert(0, "gene", genes)
    write_tsv(table, out, float_format="%.8g")
    return table
