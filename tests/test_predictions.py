"""The per-job contract: pair tables are checked on reading, every test pair gets one score."""

import pandas as pd
import pytest

from grnflow.errors import InputError
from grnflow.predictions import ranked_predictions, read_pairs


def test_pair_table_without_a_column_is_an_input_error(tmp_path):
    path = tmp_path / "seed0.tsv"
    path.write_text("gene_a\tgene_b\tlabel\tfold\ng1\tg2\t1\ttest\n")
    with pytest.raises(InputError, match=r"seed0\.tsv: pair table lacks column\(s\) direction, pair_class"):
        read_pairs(path)


def test_scores_must_match_the_test_pairs():
    test = pd.DataFrame({"gene_a": ["a", "b"], "gene_b": ["c", "d"], "label": [1, 0], "fold": "test",
                         "pair_class": [2, 0]})
    with pytest.raises(InputError, match="3 scores for 2 test pairs"):
        ranked_predictions(test, [0.1, 0.2, 0.3])
    ranked = ranked_predictions(test, [0.1, 0.9])
    assert ranked["regulator"].tolist() == ["b", "a"]
