# Rules of the `baselines` stage (see STYLE: rule -> workflow/scripts/baselines.py -> src/grnflow/baselines.py).
