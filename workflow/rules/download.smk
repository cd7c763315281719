# Rules of the `download` stage (see STYLE: rule -> workflow/scripts/download.py -> src/grnflow/download.py).
