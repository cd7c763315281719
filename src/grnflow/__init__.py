"""grnflow: gene regulatory network inference with GENER and MTLGRN, compared honestly.

Every workflow stage has a module here with plain functions (no Snakemake import);
`workflow/scripts/<stage>.py` only adapts the Snakemake object to those functions.
"""

__version__ = "0.1.0"
