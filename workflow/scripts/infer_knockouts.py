from grnflow.infer_mtlgrn import mean_knockouts
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    mean_knockouts(list(snakemake.input), snakemake.output[0])
