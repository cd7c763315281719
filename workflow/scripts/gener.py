"""Adapter: snakemake rule `gener` -> grnflow.gener.run_gener."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ banner out of the log

from grnflow.gener import run_gener  # noqa: E402
from grnflow.locks import checkpoint_lock  # noqa: E402
from grnflow.logging import log_to  # noqa: E402
from grnflow.settings import GenerSettings, from_config  # noqa: E402

with log_to(snakemake.log[0]), checkpoint_lock(snakemake.params.checkpoint_dir):
    run_gener(
        expression=snakemake.input.expression,
        pairs=snakemake.input.pairs,
        out_predictions=snakemake.output.predictions,
        out_metrics=snakemake.output.metrics,
        out_model=snakemake.output.model,
        checkpoint_dir=snakemake.params.checkpoint_dir,
        dataset=snakemake.wildcards.dataset,
        split=snakemake.wildcards.split,
        seed=int(snakemake.wildcards.seed),
        settings=from_config(GenerSettings, snakemake.params.settings),
        threads=snakemake.threads,
    )
