from grnflow.baselines import write_tree_importances
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    trees = snakemake.params.trees
    write_tree_importances(
        expression=snakemake.input.expression,
        tfs=snakemake.input.tfs,
        out=snakemake.output[0],
        method=trees["method"],
        n_estimators=trees["n_estimators"],
        max_features=trees["max_features"],
        min_samples_leaf=trees["min_samples_leaf"],
        min_samples_split=trees["min_samples_split"],
        max_depth=trees["max_depth"],
        boosting=trees["boosting"],
        threads=snakemake.threads,
    )
