# Rules of the `gener` stage (see STYLE: rule -> workflow/scripts/gener.py -> src/grnflow/gener.py).
