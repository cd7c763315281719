# Rules of the `report` stage (see STYLE: rule -> workflow/scripts/report.py -> src/grnflow/report.py).
