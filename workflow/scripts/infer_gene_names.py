from grnflow.infer import write_gene_names
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    annotation = snakemake.params.annotation
    write_gene_names(
        annotation=snakemake.input.annotation,
        expression=snakemake.input.expression,
        out=snakemake.output[0],
        id_attributes=annotation["id_attributes"],
        feature_types=annotation["feature_types"],
    )
