import hashlib
import json

from grnflow.provenance import build_record, write_provenance


def test_record_has_checksums_versions_seeds_and_devices(tmp_path):
    data = tmp_path / "expr.tsv"
    data.write_bytes(b"gene\ts1\nA\t1\n")
    metrics = tmp_path / "m.json"
    metrics.write_text(json.dumps({"auroc": 0.7, "device": "cpu"}))
    config = {"seeds": [0, 3], "datasets": {"d": {}}}
    out = tmp_path / "prov.json"
    write_provenance(out, config, {"d": {"expression": str(data)}}, [str(metrics)])
    record = json.loads(out.read_text())
    assert record["inputs"]["d"]["expression"]["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert record["seeds"] == [0, 3]
    assert record["config"] == config
    assert record["devices"] == {str(metrics): "cpu"}
    assert "snakemake" in record["packages"] and "numpy" in record["packages"]


def test_record_changes_when_input_changes(tmp_path):
    data = tmp_path / "expr.tsv"
    data.write_text("a")
    first = build_record({}, {"d": {"expression": str(data)}}, [])
    data.write_text("b")
    second = build_record({}, {"d": {"expression": str(data)}}, [])
    assert first["inputs"] != second["inputs"]
