"""Tests of the estimates and tables (numpy_gradcam.evaluation.report)."""

import numpy as np

from numpy_gradcam.evaluation import report


def test_wilson_interval_of_8_in_10():
    e = report.rate(np.array([True] * 8 + [False] * 2))
    assert e.value == 0.8 and e.n == 10
    np.testing.assert_allclose([e.low, e.high], [0.4902, 0.9433], atol=1e-4)


def test_wilson_interval_stays_inside_0_1_at_100_percent():
    e = report.rate(np.ones(20, dtype=bool))
    assert e.high == 1.0 and 0.83 < e.low < 0.84                   # 20/(20 + 3.84) = 0.839


def test_normal_interval_of_a_mean_and_nan_skipped():
    e = report.mean(np.array([1.0, 2.0, 3.0, np.nan, 4.0, 5.0]))
    assert e.value == 3.0 and e.n == 5 and e.skipped == 1
    np.testing.assert_allclose([e.low, e.high], [1.6141, 4.3859], atol=1e-4)


def test_markdown_and_csv_tables():
    rows = {"gradcam": {"hit": report.rate(np.array([True, False]))}}
    columns = [report.Column("hit", "hits (%)", "rate", 100, 1)]
    md = report.markdown(rows, columns)
    assert "| gradcam | 50.0 [" in md and "hits (%) ↑" in md
    assert report.csv_text(rows, columns).splitlines()[1].startswith("gradcam,hit,0.5,")
