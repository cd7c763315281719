# Rules of the `synthetic` stage (see STYLE: rule -> workflow/scripts/synthetic.py -> src/grnflow/synthetic.py).
