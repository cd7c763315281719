"""The embedded `demo` dataset: a known regulatory network, expression simulated from it, and a
small genome whose promoters carry the regulators' binding motifs.

Everything is a deterministic function of the seed (same seed -> byte-identical files), and the
true network, motifs and model parameters are written under `truth/` so that every method's
score can be checked against a ground truth that is really present in the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.errors import InputError
from grnflow.io import write_text, write_tsv

# Defaults mirror workflow/schemas/config.schema.yaml (datasets.<name>.synthetic).
DEFAULTS = {
    "seed": 7,
    "n_genes": 300,
    "n_tfs": 30,
    "n_conditions": 160,
    "n_knockouts": 24,
    "n_contigs": 3,
    "promoter_length": 500,
    "known_fraction": 1.0,
}

MAX_REGULATORS = 3
REGULATOR_COUNT_P = (0.45, 0.35, 0.20)  # P(1, 2, 3 regulators) for a regulated gene
MASTER_FRACTION = 0.2  # top of the TF hierarchy: TFs driven only by external inputs
ZIPF_EXPONENT = 1.0  # TF attractiveness ~ rank^-a (Zipf): a few hubs, many small regulons
ACTIVATION_P = 0.65
MOTIF_MIN, MOTIF_MAX = 8, 12
KO_REPLICATES = 3  # knockout samples per knockout group
WT_CONTROLS = 3  # matched wild-type samples per knockout group
INPUT_SIGMA = 0.8  # log-normal external input on master TFs, per condition
ENV_FRACTION = 0.2  # fraction of genes whose basal rate a condition perturbs
ENV_SIGMA = 0.6
INTRINSIC_SIGMA = 0.1  # biological replicate noise on every production rate
TECH_SIGMA = 0.15  # log-normal measurement noise
FLOAT_FORMAT = "%.4f"
FASTA_WIDTH = 60
TF_COG = "K"  # COG "transcription"
OTHER_COGS = np.array(list("CEFGHIJLMOPTU"))

OUTPUT_NAMES = (
    "expression.tsv",
    "network.tsv",
    "tfs.txt",
    "genome.fa",
    "annotation.gff3",
    "samples.tsv",
    "gene_features.tsv",
    "truth/motifs.tsv",
    "truth/edges.tsv",
    "truth/hidden.tsv",
    "truth/README.txt",
)

_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
_COMPLEMENT = np.zeros(256, dtype=np.uint8)
_COMPLEMENT[np.frombuffer(b"ACGT", dtype=np.uint8)] = np.frombuffer(b"TGCA", dtype=np.uint8)


@dataclass(frozen=True)
class Network:
    """A directed, signed, acyclic TF -> target network with its kinetic parameters."""

    genes: list[str]
    tfs: np.ndarray  # gene indices of the TFs, ascending
    regulator: np.ndarray  # per edge: gene index
    target: np.ndarray
    sign: np.ndarray  # +1 activation, -1 repression
    weight: np.ndarray  # maximal contribution to the target's production rate
    hill: np.ndarray  # Hill coefficient n
    level: np.ndarray  # per gene: 0 = unregulated, else 1 + max level of its regulators

    def edges(self) -> pd.DataFrame:
        genes = np.asarray(self.genes)
        return pd.DataFrame(
            {
                "regulator": genes[self.regulator],
                "target": genes[self.target],
                "sign": self.sign.astype(int),
            }
        )

    def out_degree(self) -> np.ndarray:
        return np.bincount(self.regulator, minlength=len(self.genes))


def check_params(cfg: dict, where: str = "synthetic") -> dict:
    """Fill in defaults and reject settings the generator cannot honour (InputError names the key)."""
    unknown = sorted(set(cfg) - set(DEFAULTS))
    if unknown:
        raise InputError(
            f"config: {where} has unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(DEFAULTS)}"
        )
    p = {**DEFAULTS, **cfg}
    if p["n_tfs"] < 2 or p["n_tfs"] >= p["n_genes"]:
        raise InputError(
            f"config: {where}.n_tfs ({p['n_tfs']}) must be at least 2 and smaller than "
            f"n_genes ({p['n_genes']}); about 10% of n_genes is typical"
        )
    if p["n_knockouts"] < 0 or p["n_knockouts"] > p["n_tfs"]:
        raise InputError(
            f"config: {where}.n_knockouts ({p['n_knockouts']}) must be between 0 and "
            f"n_tfs ({p['n_tfs']}): only TFs are knocked out"
        )
    if p["n_conditions"] < 2:
        raise InputError(f"config: {where}.n_conditions ({p['n_conditions']}) must be at least 2")
    if not 1 <= p["n_contigs"] <= p["n_genes"]:
        raise InputError(
            f"config: {where}.n_contigs ({p['n_contigs']}) must be between 1 and n_genes"
        )
    if not 0 < p["known_fraction"] <= 1:
        raise InputError(
            f"config: {where}.known_fraction ({p['known_fraction']}) must be in (0, 1]: the "
            "share of the true edges given to the workflow as its reference network"
        )
    if p["promoter_length"] < MAX_REGULATORS * MOTIF_MAX:
        raise InputError(
            f"config: {where}.promoter_length ({p['promoter_length']}) must be at least "
            f"{MAX_REGULATORS * MOTIF_MAX} bp to hold {MAX_REGULATORS} motifs of up to {MOTIF_MAX} bp"
        )
    return p


def gene_ids(n_genes: int) -> list[str]:
    """`G0001`, `G0002`, ... (zero-padded to at least 4 digits)."""
    width = max(4, len(str(n_genes)))
    return [f"G{i:0{width}d}" for i in range(1, n_genes + 1)]


def make_network(n_genes: int, n_tfs: int, rng: np.random.Generator) -> Network:
    """Random hierarchical TF network with Zipf-distributed hub attractiveness.

    TFs get a random hierarchy position; a TF may only be regulated by TFs above it (so the
    network is acyclic), the top `MASTER_FRACTION` are unregulated, every other gene has 1-3
    regulators drawn without replacement with probability ~ rank^-ZIPF_EXPONENT.
    """
    genes = gene_ids(n_genes)
    tfs = np.sort(rng.choice(n_genes, size=n_tfs, replace=False))
    by_rank = tfs[rng.permutation(n_tfs)]  # hierarchy order, top first
    attract = (rng.permutation(n_tfs) + 1.0) ** -ZIPF_EXPONENT  # per hierarchy position

    pos = np.full(n_genes, n_tfs)  # non-TF genes: below every TF
    pos[by_rank] = np.arange(n_tfs)
    n_master = max(1, int(round(MASTER_FRACTION * n_tfs)))
    k = rng.choice(np.arange(1, MAX_REGULATORS + 1), size=n_genes, p=REGULATOR_COUNT_P)
    k[pos < n_master] = 0
    k = np.minimum(k, pos)

    # Weighted sampling without replacement for every gene at once (Gumbel top-k).
    keys = np.log(attract)[None, :] + rng.gumbel(size=(n_genes, n_tfs))
    keys[np.arange(n_tfs)[None, :] >= pos[:, None]] = -np.inf
    ranking = np.argsort(-keys, axis=1, kind="stable")
    rows, cols = np.nonzero(np.arange(n_tfs)[None, :] < k[:, None])
    target = rows
    regulator = by_rank[ranking[rows, cols]]

    # Give every TF at least one target (a TF without a regulon is no TF for the benchmark).
    outdeg = np.bincount(regulator, minlength=n_genes)
    indeg = np.bincount(target, minlength=n_genes)
    orphans = [t for t in tfs if outdeg[t] == 0]
    if orphans:
        free = [g for g in rng.permutation(n_genes) if pos[g] == n_tfs and indeg[g] < MAX_REGULATORS]
        extra_t = np.array(free[: len(orphans)], dtype=int)
        regulator = np.concatenate([regulator, np.array(orphans[: len(extra_t)], dtype=int)])
        target = np.concatenate([target, extra_t])

    order = np.lexsort((target, regulator))
    regulator, target = regulator[order], target[order]
    n_edges = len(regulator)
    sign = np.where(rng.random(n_edges) < ACTIVATION_P, 1, -1)
    weight = rng.uniform(1.0, 4.0, n_edges)
    hill = rng.uniform(1.5, 3.0, n_edges)
    return Network(genes, tfs, regulator, target, sign, weight, hill, _levels(n_genes, regulator, target))


def _levels(n_genes: int, regulator: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Topological level of every gene (longest path from an unregulated gene)."""
    level = np.zeros(n_genes, dtype=int)
    for _ in range(n_genes + 1):
        new = np.zeros(n_genes, dtype=int)
        np.maximum.at(new, target, level[regulator] + 1)
        if np.array_equal(new, level):
            return level
        level = new
    raise AssertionError("the generated network has a cycle")  # cannot happen: hierarchical


@dataclass(frozen=True)
class Simulation:
    expression: pd.DataFrame  # gene + one column per sample (log2 scale)
    samples: pd.DataFrame  # sample knockout group
    half_saturation: np.ndarray  # per edge K
    basal: np.ndarray  # per gene
    knockouts: list[str]


def knockout_tfs(net: Network, n_knockouts: int) -> np.ndarray:
    """The `n_knockouts` TFs with the most targets (ties: lower gene ID first)."""
    outdeg = net.out_degree()[net.tfs]
    order = np.lexsort((net.tfs, -outdeg))
    return net.tfs[order][:n_knockouts]


def simulate_expression(
    net: Network, n_conditions: int, n_knockouts: int, rng: np.random.Generator
) -> Simulation:
    """Steady-state expression of all samples at once from a Hill-type production model.

    dx_i/dt = f_i(x) - x_i with f_i = (basal_i + sum_j w_ij H_ij(x_j)) * env_i * noise_i, where
    H is x^n/(K^n+x^n) for activation and K^n/(K^n+x^n) for repression. The network is acyclic,
    so the steady state is solved exactly level by level (vectorised over samples). A knockout
    sets the production of the knocked-out gene to 0.
    """
    n_genes = len(net.genes)
    genes = np.asarray(net.genes)
    ko = knockout_tfs(net, n_knockouts)
    width = max(3, len(str(n_conditions)))
    cond_names = [f"cond{i:0{width}d}" for i in range(1, n_conditions + 1)]

    # Sample design: one environment per perturbed condition and per knockout group.
    names, knocked, groups, env_of = list(cond_names), [-1] * n_conditions, list(cond_names), list(
        range(n_conditions)
    )
    for g, tf in enumerate(ko):
        group = f"ko_{genes[tf]}"
        for r in range(1, WT_CONTROLS + 1):
            names.append(f"wt_{genes[tf]}_r{r}")
            knocked.append(-1)
            groups.append(group)
            env_of.append(n_conditions + g)
        for r in range(1, KO_REPLICATES + 1):
            names.append(f"ko_{genes[tf]}_r{r}")
            knocked.append(int(tf))
            groups.append(group)
            env_of.append(n_conditions + g)
    knocked, env_of = np.asarray(knocked), np.asarray(env_of)
    n_samples, n_env = len(names), n_conditions + len(ko)

    # Biological variation: external inputs on unregulated genes, random basal-rate
    # perturbations of a subset of genes per condition, and replicate-level intrinsic noise.
    unregulated = net.level == 0
    env = np.where(
        rng.random((n_genes, n_env)) < ENV_FRACTION,
        np.exp(rng.normal(0.0, ENV_SIGMA, (n_genes, n_env))),
        1.0,
    )
    env[unregulated] *= np.exp(rng.normal(0.0, INPUT_SIGMA, (int(unregulated.sum()), n_env)))
    factor = env[:, env_of] * np.exp(rng.normal(0.0, INTRINSIC_SIGMA, (n_genes, n_samples)))
    ko_cols = np.nonzero(knocked >= 0)[0]
    factor[knocked[ko_cols], ko_cols] = 0.0
    basal = np.where(unregulated, rng.uniform(2.0, 6.0, n_genes), rng.uniform(0.1, 0.6, n_genes))

    wild_type = knocked < 0
    x = np.zeros((n_genes, n_samples))
    half_sat = np.zeros(len(net.regulator))
    edge_level = net.level[net.target]
    for lvl in range(int(net.level.max()) + 1):
        at_level = np.nonzero(net.level == lvl)[0]
        production = np.zeros((n_genes, n_samples))
        production[at_level] = basal[at_level, None]
        e = np.nonzero(edge_level == lvl)[0]
        if len(e):
            xr = x[net.regulator[e]]
            # Half-saturation at the regulator's median wild-type level: the sensitive range.
            half_sat[e] = np.median(xr[:, wild_type], axis=1)
            r = (xr / half_sat[e, None]) ** net.hill[e, None]
            term = np.where(net.sign[e, None] > 0, r / (1.0 + r), 1.0 / (1.0 + r))
            np.add.at(production, net.target[e], net.weight[e, None] * term)
        x[at_level] = production[at_level] * factor[at_level]

    # Measurement: gene-specific depth, log-normal technical noise, log2(1 + counts).
    scale = np.exp(rng.normal(np.log(40.0), 0.8, n_genes))
    counts = x * scale[:, None] * np.exp(rng.normal(0.0, TECH_SIGMA, (n_genes, n_samples)))
    values = np.log2(1.0 + counts)
    expression = pd.DataFrame(values, columns=names)
    expression.insert(0, "gene", genes)
    samples = pd.DataFrame(
        {
            "sample": names,
            "knockout": [genes[k] if k >= 0 else "" for k in knocked],
            "group": groups,
        }
    )
    return Simulation(expression, samples, half_sat, basal, [str(g) for g in genes[ko]])


def make_motifs(n: int, rng: np.random.Generator) -> list[str]:
    """`n` distinct random motifs of 8-12 bp, none contained in another (either strand)."""
    motifs: list[str] = []
    while len(motifs) < n:
        length = int(rng.integers(MOTIF_MIN, MOTIF_MAX + 1))
        m = _BASES[rng.integers(0, 4, length)].tobytes().decode()
        rc = _revcomp(m)
        if any(m in o or o in m or rc in o or o in rc for o in motifs) or m == rc:
            continue
        motifs.append(m)
    return motifs


def _revcomp(seq: str) -> str:
    return seq.translate(str.maketrans("ACGT", "TGCA"))[::-1]


@dataclass(frozen=True)
class Genome:
    fasta: str
    gff: str
    contig: np.ndarray  # per gene: contig index
    start: np.ndarray  # per gene: 1-based inclusive
    end: np.ndarray
    strand: np.ndarray  # '+' / '-'
    length: np.ndarray


def make_genome(
    net: Network,
    motifs: dict[int, str],
    n_contigs: int,
    promoter_length: int,
    rng: np.random.Generator,
) -> Genome:
    """Random genome; every gene's upstream window carries the motif of each of its regulators.

    The promoter of a gene is the `promoter_length` bp upstream of its TSS read 5'->3' in the
    gene's orientation (before `start` on '+', reverse complement after `end` on '-'); motifs are
    written in that orientation at distinct random slots. Intergenic gaps leave room for every
    promoter they hold (2 x promoter_length between divergent genes), so windows never overlap
    each other or a gene.
    """
    L = promoter_length
    n_genes = len(net.genes)
    length = np.clip(np.round(np.exp(rng.normal(np.log(450.0), 0.35, n_genes)) / 3) * 3, 150, 1500)
    length = length.astype(np.int64)
    plus = rng.random(n_genes) < 0.5
    order = rng.permutation(n_genes)
    chunks = np.array_split(order, n_contigs)

    contig = np.zeros(n_genes, dtype=np.int64)
    start0 = np.zeros(n_genes, dtype=np.int64)  # 0-based, inclusive
    offsets, sizes = [], []
    total = 0
    for c, genes_c in enumerate(chunks):
        p = plus[genes_c]
        # Gap before each gene: a promoter on its left if it is '+', one if the previous is '-'.
        before = np.where(p, L, 0) + np.concatenate([[0], np.where(~p[:-1], L, 0)])
        gaps = np.maximum(before, L) + rng.integers(20, 200, len(genes_c))
        tail = (L if not p[-1] else 0) + int(rng.integers(20, 200))
        lens = length[genes_c]
        starts = np.cumsum(gaps) + np.concatenate([[0], np.cumsum(lens)[:-1]])
        contig[genes_c] = c
        start0[genes_c] = starts
        size = int(starts[-1] + lens[-1] + tail)
        offsets.append(total)
        sizes.append(size)
        total += size
    seq = _BASES[rng.integers(0, 4, total)]

    # Promoters in gene orientation, with each regulator's motif at its own slot.
    prom = _BASES[rng.integers(0, 4, (n_genes, L))]
    n_slots = L // MOTIF_MAX
    slot_order = np.argsort(rng.random((n_genes, n_slots)), axis=1)
    tgt = net.target
    # Rank of each edge among its target's edges (edges are sorted by regulator, not target).
    by_t = np.argsort(tgt, kind="stable")
    first = np.searchsorted(tgt[by_t], tgt[by_t])
    rank_in_target = np.empty(len(tgt), dtype=np.int64)
    rank_in_target[by_t] = np.arange(len(tgt)) - first
    tf_of_edge = net.regulator
    motif_list = sorted(motifs)
    mot_idx = np.searchsorted(motif_list, tf_of_edge)
    mot_len = np.array([len(motifs[t]) for t in motif_list])[mot_idx]
    mot_mat = np.zeros((len(motif_list), MOTIF_MAX), dtype=np.uint8)
    for i, t in enumerate(motif_list):
        mot_mat[i, : len(motifs[t])] = np.frombuffer(motifs[t].encode(), dtype=np.uint8)
    slot = slot_order[tgt, rank_in_target]
    pos = slot * MOTIF_MAX + rng.integers(0, MOTIF_MAX - mot_len + 1)
    jj = np.arange(MOTIF_MAX)[None, :]
    mask = jj < mot_len[:, None]
    rows = np.broadcast_to(tgt[:, None], mask.shape)[mask]
    cols = (pos[:, None] + jj)[mask]
    prom[rows, cols] = mot_mat[mot_idx][mask]

    # Write promoters into the genome: '+' before the start, '-' reverse-complemented after the end.
    gstart = np.asarray(offsets)[contig] + start0
    win = np.where(plus, gstart - L, gstart + length)
    idx = win[:, None] + np.arange(L)[None, :]
    seq[idx] = np.where(plus[:, None], prom, _COMPLEMENT[prom[:, ::-1]])

    names = [f"contig{c + 1}" for c in range(n_contigs)]
    fasta = []
    for c, name in enumerate(names):
        s = seq[offsets[c] : offsets[c] + sizes[c]].tobytes().decode()
        fasta.append(f">{name}\n")
        fasta.append("\n".join(s[i : i + FASTA_WIDTH] for i in range(0, len(s), FASTA_WIDTH)) + "\n")

    start = start0 + 1
    end = start0 + length
    strand = np.where(plus, "+", "-")
    gids = np.asarray(net.genes)
    gff_order = np.lexsort((start, contig))
    lines = ["##gff-version 3"] + [f"##sequence-region {n} 1 {s}" for n, s in zip(names, sizes)]
    cname = np.asarray(names)[contig]
    for g in gff_order:
        lines.append(
            f"{cname[g]}\tgrnflow\tgene\t{start[g]}\t{end[g]}\t.\t{strand[g]}\t.\t"
            f"ID={gids[g]};Name={gids[g].lower()}"
        )
    return Genome("".join(fasta), "\n".join(lines) + "\n", contig, start, end, strand, length)


def gene_features(net: Network, length: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """`gene tf cog length`: TFs are mostly COG K; half the targets share their main regulator's COG."""
    n_genes = len(net.genes)
    is_tf = np.zeros(n_genes, dtype=int)
    is_tf[net.tfs] = 1
    favourite = OTHER_COGS[rng.integers(0, len(OTHER_COGS), n_genes)]  # per regulator gene
    cog = OTHER_COGS[rng.integers(0, len(OTHER_COGS), n_genes)]
    # Main regulator = the one with the largest weight.
    main = np.full(n_genes, -1)
    order = np.lexsort((net.weight, net.target))
    main[net.target[order]] = net.regulator[order]  # last write (largest weight) wins
    follow = (main >= 0) & (rng.random(n_genes) < 0.5)
    cog[follow] = favourite[main[follow]]
    cog[(is_tf == 1) & (rng.random(n_genes) < 0.9)] = TF_COG
    return pd.DataFrame({"gene": net.genes, "tf": is_tf, "cog": cog, "length": length})


@dataclass(frozen=True)
class Dataset:
    params: dict
    network: Network
    simulation: Simulation
    motifs: dict[int, str]
    genome: Genome
    features: pd.DataFrame
    known: np.ndarray  # per edge of `network`: True when it is in the reference network.tsv


def hide_edges(n_edges: int, known_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Mask of the edges given to the workflow: round(known_fraction * n_edges) chosen uniformly.

    The rest stay only in `truth/`, so predicting them is discovery that can be checked.
    """
    known = np.ones(n_edges, dtype=bool)
    n_hidden = n_edges - int(round(known_fraction * n_edges))
    if n_hidden > 0:
        known[rng.choice(n_edges, size=n_hidden, replace=False)] = False
    return known


def generate(cfg: dict, where: str = "synthetic") -> Dataset:
    """Build the whole dataset in memory from the `synthetic` config (defaults filled in)."""
    p = check_params(cfg, where)
    # Independent streams per part: changing e.g. the genome never changes the expression
    # (spawned children do not depend on how many follow, so adding a stream changes nothing).
    net_rng, expr_rng, motif_rng, genome_rng, feat_rng, hide_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(p["seed"]).spawn(6)
    )
    net = make_network(p["n_genes"], p["n_tfs"], net_rng)
    sim = simulate_expression(net, p["n_conditions"], p["n_knockouts"], expr_rng)
    motifs = dict(zip(net.tfs.tolist(), make_motifs(len(net.tfs), motif_rng)))
    genome = make_genome(net, motifs, p["n_contigs"], p["promoter_length"], genome_rng)
    features = gene_features(net, genome.length, feat_rng)
    known = hide_edges(len(net.regulator), p["known_fraction"], hide_rng)
    return Dataset(p, net, sim, motifs, genome, features, known)


def write_dataset(cfg: dict, outdir: str | Path, where: str = "synthetic") -> dict[str, Path]:
    """Generate the dataset and write every file of OUTPUT_NAMES under `outdir`."""
    outdir = Path(outdir)
    ds = generate(cfg, where)
    net, sim = ds.network, ds.simulation
    genes = np.asarray(net.genes)
    paths = {name: outdir / name for name in OUTPUT_NAMES}

    write_tsv(sim.expression, paths["expression.tsv"], float_format=FLOAT_FORMAT)
    edges = net.edges()
    write_tsv(edges[ds.known], paths["network.tsv"])
    write_tsv(edges[~ds.known], paths["truth/hidden.tsv"])
    write_text("".join(f"{g}\n" for g in genes[net.tfs]), paths["tfs.txt"])
    write_text(ds.genome.fasta, paths["genome.fa"])
    write_text(ds.genome.gff, paths["annotation.gff3"])
    write_tsv(sim.samples, paths["samples.tsv"])
    write_tsv(ds.features, paths["gene_features.tsv"])
    tf_ids = genes[net.tfs]
    motifs = pd.DataFrame(
        {
            "tf": tf_ids,
            "motif": [ds.motifs[t] for t in net.tfs.tolist()],
            "length": [len(ds.motifs[t]) for t in net.tfs.tolist()],
            "n_targets": net.out_degree()[net.tfs],
        }
    )
    write_tsv(motifs, paths["truth/motifs.tsv"])
    edges = net.edges().assign(
        weight=net.weight,
        half_saturation=sim.half_saturation,
        hill=net.hill,
        target_level=net.level[net.target],
        known=ds.known.astype(int),
    )
    write_tsv(edges, paths["truth/edges.tsv"], float_format=FLOAT_FORMAT)
    write_text(_readme(ds), paths["truth/README.txt"])
    return paths


def _readme(ds: Dataset) -> str:
    p, net, sim = ds.params, ds.network, ds.simulation
    outdeg = net.out_degree()[net.tfs]
    n_ko = len(sim.knockouts)
    return f"""Ground truth of the grnflow synthetic dataset
=============================================

Generated by grnflow.synthetic (deterministic: the same settings give byte-identical files).
Settings: {", ".join(f"{k}={v}" for k, v in p.items())}

Network (truth/edges.tsv = the TRUE network with its kinetic parameters)
- network.tsv, the reference given to the workflow, holds {int(ds.known.sum())} of the
  {len(ds.known)} true edges (known_fraction={p["known_fraction"]:g}, chosen uniformly); the other
  {int((~ds.known).sum())} are listed in truth/hidden.tsv (and have known=0 in truth/edges.tsv):
  predicting them is discovery that can be checked.
- {len(net.genes)} genes G..., of which {len(net.tfs)} TFs (tfs.txt); {len(net.regulator)} edges
  regulator -> target with sign 1 (activation) or -1 (repression).
- TFs are ordered in a random hierarchy; a TF is only regulated by TFs above it, so the
  network is acyclic (TFs do regulate TFs). The top {MASTER_FRACTION:.0%} of TFs are unregulated and
  driven by external inputs. Every other gene has 1-3 regulators, drawn with probability
  proportional to rank^-{ZIPF_EXPONENT} (Zipf hubs): out-degree max {outdeg.max()}, median
  {np.median(outdeg):g}. Network depth (levels): {net.level.max()}.

Expression (expression.tsv, genes x samples, log2(1 + simulated counts))
- Hill-type regulatory model; steady state of dx_i/dt = f_i - x_i with
  f_i = (basal_i + sum_j w_ij * H_ij(x_j)) * env_i(condition) * intrinsic noise,
  H = x^n/(K^n + x^n) for activation, K^n/(K^n + x^n) for repression, n in [1.5, 3],
  w in [1, 4], K = the regulator's median wild-type level. Solved exactly level by level.
- Biological noise: external log-normal inputs (sigma {INPUT_SIGMA}) on unregulated genes,
  random basal-rate perturbations of {ENV_FRACTION:.0%} of genes per condition (sigma {ENV_SIGMA}),
  intrinsic replicate noise (sigma {INTRINSIC_SIGMA}).
- Technical noise: gene-specific depth and log-normal measurement noise (sigma {TECH_SIGMA}).
- Samples (samples.tsv: sample, knockout, group): {p["n_conditions"]} perturbed conditions
  cond..., each its own group; {n_ko} single-gene knockouts of the TFs with the most targets
  ({", ".join(sim.knockouts) or "none"}), each group ko_<TF> holding {KO_REPLICATES} knockout replicates
  ko_<TF>_r* (production of the TF set to 0) and {WT_CONTROLS} matched wild-type controls wt_<TF>_r*
  under the same condition.

Genome (genome.fa, annotation.gff3)
- {p["n_contigs"]} contigs of random sequence; genes on both strands (GFF3 `gene` features,
  ID=<gene> Name=<gene in lower case>), with intergenic gaps leaving room for every promoter.
- The promoter of a gene = the {p["promoter_length"]} bp upstream of its TSS, read 5'->3' in the
  gene's orientation (before the start on '+', reverse complement after the end on '-'). It
  contains the motif (truth/motifs.tsv, {MOTIF_MIN}-{MOTIF_MAX} bp, one per TF) of EACH of its
  regulators, written in the gene's orientation; other promoters hold a motif only by chance.

Gene features (gene_features.tsv: gene tf cog length)
- tf 0/1; cog: TFs mostly K (transcription), half of the other genes share a COG letter
  favoured by their main regulator; length = gene length in bp.
"""
