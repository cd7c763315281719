"""The canonical sample table: which expression sample knocks out which gene, and its controls.

Output contract: `results/{ds}/data/samples.tsv` with one row per expression sample, in the
expression's column order: `sample`, `knockout` (gene ID or empty), `controls` (`;`-joined
wild-type control samples, knockout rows only).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from grnflow.errors import InputError
from grnflow.io import read_table, write_tsv
from grnflow.normalize import raw_sample_names

log = logging.getLogger("grnflow.samples")

# Knockout cells meaning "wild type" (compared case-insensitively, after stripping blanks).
WILD_TYPE = frozenset({"", "na", "nan", "n/a", "none", "-", "wt", "wild_type", "wildtype"})


def _names(items, limit: int = 10) -> str:
    items = [str(i) for i in items]
    more = f" ... (+{len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def expression_layout(expression: str | Path) -> tuple[list[str], set[str]]:
    """Sample names (column order) and gene IDs of a normalized expression TSV."""
    table = read_table(expression, sep="tab", usecols=[0], dtype=str, keep_default_na=False)
    header = read_table(expression, sep="tab", nrows=0).columns
    return [str(c) for c in header[1:]], set(table.iloc[:, 0])


def read_sheet(path: str | Path, sep: str = "auto") -> pd.DataFrame:
    """The user sample sheet with stripped strings; `knockout` "" for wild type."""
    sheet = read_table(path, sep=sep, dtype=str, keep_default_na=False)
    sheet.columns = [str(c).strip().lower() for c in sheet.columns]
    missing = [c for c in ("sample", "knockout") if c not in sheet.columns]
    if missing:
        raise InputError(
            f"{path}: the sample sheet lacks column(s) {', '.join(missing)} (found: "
            f"{', '.join(sheet.columns)}); it needs `sample` and `knockout`, optionally `group` "
            "and `controls` (see config/README.md, samples)"
        )
    sheet = sheet.apply(lambda col: col.str.strip())
    blank = sheet.index[sheet["sample"] == ""]
    if len(blank):
        raise InputError(f"{path}: data line {blank[0] + 1} has an empty `sample`")
    dup = sheet["sample"][sheet["sample"].duplicated()].unique()
    if len(dup):
        raise InputError(
            f"{path}: sample(s) {_names(dup)} appear on more than one row; give each sample one row"
        )
    wild = sheet["knockout"].str.lower().isin(WILD_TYPE)
    sheet.loc[wild, "knockout"] = ""
    return sheet


def _check_controls(sheet, sample: str, gene: str, chosen: list[str], knockout_of: pd.Series) -> None:
    """A knockout's controls must not be itself or another knockout of the same gene (every
    fold change would be ~0 and knockout metrics meaningless)."""
    if sample in chosen:
        raise InputError(
            f"{sheet}: row of sample {sample} (knockout {gene}), column `controls`: the sample is "
            "listed as its own control, which makes every fold change 0; list wild-type samples "
            "instead (or leave `controls` empty to use the wild types of its `group`)"
        )
    same = [c for c in chosen if knockout_of[c] == gene]
    if same:
        raise InputError(
            f"{sheet}: row of sample {sample} (knockout {gene}), column `controls`: {_names(same)} "
            f"{'is' if len(same) == 1 else 'are'} also a knockout of {gene}, so the knockout "
            "effect cancels out; list wild-type samples instead"
        )


def build_samples(
    expression: str | Path,
    out: str | Path,
    sheet: str | Path | None = None,
    sep: str = "auto",
    raw_expression: str | Path | None = None,
    orientation: str = "genes_x_samples",
    expression_sep: str = "auto",
) -> pd.DataFrame:
    """Write the canonical sample table for the normalized `expression` (see module doc).

    `raw_expression` (the user's matrix before normalize) lets sheet rows for samples that
    normalize dropped (too many missing values) be skipped with a warning instead of an error.
    """
    samples, genes = expression_layout(expression)
    table = pd.DataFrame({"sample": samples, "knockout": "", "controls": ""})
    if sheet is None:
        log.info("no sample sheet: all %d samples are wild type", len(samples))
        write_tsv(table, out)
        return table

    info = read_sheet(sheet, sep)
    present = set(samples)
    known = set(raw_sample_names(raw_expression, orientation, expression_sep)) if raw_expression else present
    unknown = info["sample"][~info["sample"].isin(known | present)].tolist()
    if unknown:
        raise InputError(
            f"{sheet}: {len(unknown)} sample(s) in the sheet are not in the expression matrix: "
            f"{_names(unknown)} (expression samples include {_names(samples[:5])}); fix their "
            "names or remove those rows"
        )
    dropped = info["sample"][~info["sample"].isin(present)].tolist()
    if dropped:
        log.warning("%s: %d sheet sample(s) were dropped by normalize (missing values) and are "
                    "skipped: %s", sheet, len(dropped), _names(dropped))
        info = info[info["sample"].isin(present)]
    unlisted = [s for s in samples if s not in set(info["sample"])]
    if unlisted:
        log.info("%d expression sample(s) are not in the sheet and count as wild type: %s",
                 len(unlisted), _names(unlisted))

    knockouts = info[info["knockout"] != ""]
    absent = knockouts[~knockouts["knockout"].isin(genes)]
    if len(absent):
        pairs = [f"{s} ({g})" for s, g in zip(absent["sample"], absent["knockout"])]
        raise InputError(
            f"{sheet}: knockout gene(s) not among the expression's gene IDs: {_names(pairs)}; "
            "use the expression matrix's gene IDs in `knockout` (empty or NA = wild type)"
        )

    by_sample = info.set_index("sample")
    knockout_of = by_sample["knockout"].reindex(samples).fillna("")
    wild_type = [s for s in samples if knockout_of[s] == ""]
    has_group = "group" in by_sample.columns
    group_of = by_sample["group"].reindex(samples).fillna("") if has_group else None
    wild_by_group: dict[str, list[str]] = {}
    if has_group:
        for s in wild_type:
            wild_by_group.setdefault(group_of[s], []).append(s)

    controls: dict[str, list[str]] = {}
    unmatched = []
    for s, row in by_sample.loc[knockouts["sample"]].iterrows():
        explicit = [c.strip() for c in row.get("controls", "").split(";") if c.strip()]
        if explicit:
            missing = [c for c in explicit if c not in known | present]
            if missing:
                raise InputError(
                    f"{sheet}: `controls` of sample {s} name(s) not in the expression matrix: "
                    f"{_names(missing)}"
                )
            chosen = [c for c in explicit if c in present]
            _check_controls(sheet, s, row["knockout"], chosen, knockout_of)
            mutants = [c for c in chosen if knockout_of[c] != ""]
            if mutants:
                log.warning("%s: controls of %s include knockout sample(s) %s", sheet, s, _names(mutants))
        elif has_group and row["group"] != "":
            chosen = wild_by_group.get(row["group"], [])
        else:
            chosen = wild_type
        if not chosen:
            unmatched.append(f"{s} (group {row['group']!r})" if has_group else s)
        controls[s] = chosen
    if unmatched:
        how = "no wild-type sample shares its `group`" if has_group else "there is no wild-type sample"
        raise InputError(
            f"{sheet}: knockout sample(s) without any wild-type control: {_names(unmatched)} "
            f"({how}); add wild-type samples to that group or list them in `controls`"
        )

    table["knockout"] = knockout_of.to_numpy()
    table["controls"] = [";".join(controls.get(s, [])) for s in samples]
    write_tsv(table, out)
    n_ko = int((table["knockout"] != "").sum())
    log.info(
        "%d samples: %d wild type, %d knockout samples of %d gene(s)",
        len(samples), len(samples) - n_ko, n_ko, table.loc[table["knockout"] != "", "knockout"].nunique(),
    )
    return table
