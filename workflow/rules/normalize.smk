# Rules of the `normalize` stage (see STYLE: rule -> workflow/scripts/normalize.py -> src/grnflow/normalize.py).
