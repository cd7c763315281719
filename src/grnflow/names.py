"""Names shared by every stage: folds, split regimes, and the columns of the contract tables.

Defined once here; the stages, the rules (through common.smk) and the tests import them.
"""

from __future__ import annotations

FOLDS = ("train", "val", "test")
# Built-in split regimes (grnflow.pairs has one function per regime).
SPLITS = ("random", "tf_holdout", "gene_disjoint")
PAIR_COLUMNS = ["gene_a", "gene_b", "label", "direction", "fold", "pair_class"]
PREDICTION_COLUMNS = ["regulator", "target", "score", "label", "fold", "pair_class"]
NETWORK_COLUMNS = ["regulator", "target", "sign"]
SAMPLE_COLUMNS = ["sample", "knockout", "controls"]
