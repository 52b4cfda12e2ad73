"""DuckDB and Spark give the same results: the whole catalogue on the hand-countable dataset,
and on a synthetic extract (every ethnic group, recording gaps, repeat events and three years
of activity, as the generator writes them)."""

import numpy as np
import pytest

from pcref.analytics.engine import RESULT_SCHEMA, run_metrics
from pcref.analytics.extract.load import ingest
from pcref.analytics.synth import generate

pytestmark = [
    pytest.mark.spark,
    pytest.mark.xdist_group("spark"),  # one worker starts the one Spark session (about 15 s)
    pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning"),
]


def assert_same_results(on_spark, on_duckdb):
    """Every column equal: text exactly, numbers to a relative 1e-9 with NaN where NaN."""
    assert len(on_spark) == len(on_duckdb) > 0
    for field in RESULT_SCHEMA:
        spark_column, duckdb_column = on_spark[field.name], on_duckdb[field.name]
        if field.type == "double":
            a, b = spark_column.to_numpy(float), duckdb_column.to_numpy(float)
            assert np.array_equal(np.isnan(a), np.isnan(b)), field.name
            both = ~np.isnan(a)
            np.testing.assert_allclose(a[both], b[both], rtol=1e-9, atol=0, err_msg=field.name)
        else:
            assert (
                spark_column.fillna("<null>").tolist() == duckdb_column.fillna("<null>").tolist()
            ), field.name


def test_duckdb_and_spark_agree_on_the_whole_catalogue(dataset, results, spark_session):
    on_spark = run_metrics(dataset, backend="spark", spark_session=spark_session).to_pandas()
    assert_same_results(on_spark, results)


def test_duckdb_and_spark_agree_on_a_synthetic_extract(tmp_path, spark_session):
    """100 people over three years: every table, group scheme and comparison has rows (about
    42,000 results, 4,000 of them ratios), and Spark's local mode takes 15-20 s."""
    generate(tmp_path / "extract", people=100, seed=2026, file_format="parquet")
    loaded = ingest(tmp_path / "extract", tmp_path / "datasets")
    assert loaded.ok, loaded.summary()
    on_duckdb = run_metrics(loaded.dataset.path).to_pandas()
    on_spark = run_metrics(
        loaded.dataset.path, backend="spark", spark_session=spark_session
    ).to_pandas()
    assert set(on_duckdb["metric"]) == set(on_spark["metric"])
    assert on_duckdb["ratio"].notna().sum() > 1_000  # comparisons were made, not only counts
    assert_same_results(on_spark, on_duckdb)
