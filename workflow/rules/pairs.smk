# Rules of the `pairs` stage (see STYLE: rule -> workflow/scripts/pairs.py -> src/grnflow/pairs.py).
