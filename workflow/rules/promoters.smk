# Rules of the `promoters` stage (see STYLE: rule -> workflow/scripts/promoters.py -> src/grnflow/promoters.py).
