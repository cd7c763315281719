"""The MTLGRN network: one GAT encoder, a link decoder and two auxiliary heads.

Read top to bottom like PyG's link-prediction example:
- `encode`: two GATConv layers turn gene features into gene embeddings z.
- `decode`: the logit of regulator a -> target b for given pairs, from z_a and z_b: the
  sign-invariant |z_a . z_b| + c (`abs_dot`, the default), the dot product (the seed's), or the
  directed bilinear form z_a^T W z_b (W starts as the identity).
- `decode_all`: the logits of every (regulator, target) pair at once, as a matrix.
- `knockout`: the fold change of every gene when one gene is knocked out, from
  [z_gene, z_knocked_gene, control value] through a small MLP.
- `reconstruct`: each gene's expression profile decoded linearly from its embedding.
Scores are raw logits (see grnflow.train_core.DECISION).
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import GATConv

from grnflow.settings import effective

DECODERS = ("abs_dot", "dot", "bilinear")
# `abs_dot`: a regulator activates some targets and represses others, so a target's profile is
# correlated OR anti-correlated with its regulator's. A dot product of embeddings that pass a
# LeakyReLU (the seed's) scores an anti-aligned pair like a non-edge; `abs_dot` keeps the
# embedding linear (no activation after the last GAT layer: its sign can carry the direction)
# and scores |z_a . z_b| + c, c a learned offset (a logit must be able to go below 0). Measured
# on the default demo in config/README.md ("Why MTLGRN did not train").
# The knockout MLP's hidden activation: grnflow's LeakyReLU 0.2 (as the encoder) or, in paper
# mode, the seed's ReLU (wentaoStyle/MTLGRN model.py: Linear(2d, 128) -> ReLU -> Linear).
KNOCKOUT_ACTIVATIONS = {"leaky_relu": lambda: nn.LeakyReLU(0.2), "relu": nn.ReLU}


class MTLGRN(nn.Module):
    """GAT encoder + link decoder, knockout and reconstruction heads."""

    def __init__(
        self,
        in_dim: int,
        n_samples: int,
        hidden: int,
        heads: int,
        out: int,
        dropout: float,
        decoder: str,
        knockout_hidden: int,
        knockout_activation: str = "leaky_relu",
    ):
        super().__init__()
        if decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {', '.join(DECODERS)}, not {decoder!r}")
        self.conv1 = GATConv(in_dim, hidden, heads=heads, concat=True)
        self.conv2 = GATConv(hidden * heads, out, heads=1)
        self.act = nn.LeakyReLU(0.2)
        self.dropout = nn.Dropout(dropout)
        self.decoder = decoder
        self.linear_embedding = decoder == "abs_dot"
        if decoder == "abs_dot":
            self.link_offset = nn.Parameter(torch.zeros(()))
        if decoder == "bilinear":
            # starts as the dot product; learns an asymmetric (directed) form
            self.bilinear = nn.Parameter(torch.eye(out))
        self.ko_gene = nn.Linear(out, knockout_hidden)
        self.ko_knocked = nn.Linear(out, knockout_hidden, bias=False)
        self.ko_control = nn.Linear(1, knockout_hidden, bias=False)
        self.ko_out = nn.Linear(knockout_hidden, 1)
        self.ko_act = KNOCKOUT_ACTIVATIONS[knockout_activation]()
        self.recon = nn.Linear(out, max(n_samples, 1))

    @classmethod
    def from_settings(cls, in_dim: int, n_samples: int, settings) -> MTLGRN:
        """The network of `settings` (grnflow.settings.MtlgrnSettings; paper mode applied)."""
        settings = effective(settings)
        return cls(
            in_dim,
            n_samples,
            hidden=settings.hidden,
            heads=settings.heads,
            out=settings.out,
            dropout=settings.dropout,
            decoder=settings.decoder,
            knockout_hidden=settings.knockout_hidden,
            knockout_activation="relu" if settings.paper_mode else "leaky_relu",
        )

    def encode(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """Gene embeddings (n_genes x out) from features and the message graph."""
        h = self.dropout(self.act(self.conv1(x, edge_index)))
        z = self.conv2(h, edge_index)
        return z if self.linear_embedding else self.act(z)

    def _regulator_side(self, z_regulators: torch.Tensor) -> torch.Tensor:
        return z_regulators @ self.bilinear if self.decoder == "bilinear" else z_regulators

    def _logit(self, products: torch.Tensor) -> torch.Tensor:
        return products.abs() + self.link_offset if self.decoder == "abs_dot" else products

    def decode(self, z: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Raw logits (no sigmoid) of the pairs a[i] -> b[i] (gene indices)."""
        return self._logit((self._regulator_side(z[a]) * z[b]).sum(-1))

    def decode_all(self, z: torch.Tensor, regulators: torch.Tensor | None = None) -> torch.Tensor:
        """Logits of every regulator -> target pair: (n_regulators x n_genes), row i for
        `regulators[i]` (all genes when None). Equals `decode` pair by pair up to float rounding."""
        zr = z if regulators is None else z[regulators]
        return self._logit(self._regulator_side(zr) @ z.T)

    def knockout(self, z: torch.Tensor, knocked: torch.Tensor, control: torch.Tensor) -> torch.Tensor:
        """Predicted fold change (n_exp x n_genes): an MLP on [z_gene, z_knocked, control value],
        its first layer split into the three parts so no (n_exp x n_genes x 2d) tensor is built."""
        h = (
            self.ko_gene(z)[None, :, :]
            + self.ko_knocked(z[knocked])[:, None, :]
            + self.ko_control(control[..., None])
        )
        return self.ko_out(self.ko_act(h)).squeeze(-1)

    def reconstruct(self, z: torch.Tensor) -> torch.Tensor:
        """Each gene's expression over the reconstruction samples (n_genes x n_samples)."""
        return self.recon(z)


__all__ = ["DECODERS", "KNOCKOUT_ACTIVATIONS", "MTLGRN"]
