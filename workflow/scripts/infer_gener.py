"""Adapter: rule `infer_gener` -> grnflow.infer_gener.run_infer_gener."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ banner out of the log

from grnflow.infer_gener import run_infer_gener  # noqa: E402
from grnflow.logging import log_to  # noqa: E402
from grnflow.settings import GenerSettings, from_config  # noqa: E402

with log_to(snakemake.log[0]):
    run_infer_gener(
        expression=snakemake.input.expression,
        tfs=snakemake.input.tfs,
        network=snakemake.input.network,
        pairs=snakemake.input.pairs,
        out_ranking=snakemake.output.ranking,
        out_model=snakemake.output.model,
        checkpoint_dir=snakemake.params.checkpoint_dir,
        seed=int(snakemake.wildcards.seed),
        settings=from_config(GenerSettings, snakemake.params.settings),
        threads=snakemake.threads,
        names=snakemake.input.names or None,
    )
