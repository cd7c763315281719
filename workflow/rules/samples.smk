# Rules of the `samples` stage (see STYLE: rule -> workflow/scripts/samples.py -> src/grnflow/samples.py).
