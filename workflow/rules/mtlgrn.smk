# Rules of the `mtlgrn` stage (see STYLE: rule -> workflow/scripts/mtlgrn.py -> src/grnflow/mtlgrn.py).
