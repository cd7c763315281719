# Rules of the `network` stage (see STYLE: rule -> workflow/scripts/network.py -> src/grnflow/network.py).
