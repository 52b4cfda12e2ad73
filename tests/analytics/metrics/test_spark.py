"""DuckDB and Spark give the same results: the whole catalogue on the hand-countable dataset."""

import numpy as np
import pytest

from pcref.analytics.engine import RESULT_SCHEMA, run_metrics

pytestmark = pytest.mark.spark


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")
def test_duckdb_and_spark_agree_on_the_whole_catalogue(dataset, results, spark_session):
    on_spark = run_metrics(dataset, backend="spark", spark_session=spark_session).to_pandas()
    on_duckdb = results
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
