"""The one exception type for bad input."""


class InputError(Exception):
    """Bad user input: the message names the file (and line/column/key) and the fix.

    Stages raise this at their boundary; scripts let it propagate so the job fails with a
    non-zero exit and Snakemake removes the job's (partial) outputs.
    """


class JobError(Exception):
    """A fault around the job, not in its input (a checkpoint lock held by another trainer, a
    full disk): the message names the file or folder and what to do; printed as one line."""
