"""Tests of the estimates and tables (numpy_gradcam.evaluation.report)."""

import numpy as np
import pytest

from numpy_gradcam.evaluation import report
from tests.conftest import require_library


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


@pytest.mark.parametrize("hits, n", [(0, 7), (1, 7), (8, 10), (50, 100), (99, 100), (20, 20),
                                     (313, 1000)])
def test_wilson_interval_equals_statsmodels(hits, n):
    """statsmodels' ``proportion_confint(method="wilson")`` at alpha 0.05, an independent
    implementation, including 0 % and 100 % (where the Wald interval collapses)."""
    require_library("statsmodels")
    from statsmodels.stats.proportion import proportion_confint

    e = report.rate(np.array([True] * hits + [False] * (n - hits)))
    low, high = proportion_confint(hits, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose([e.low, e.high], [low, high], rtol=1e-12, atol=1e-15)
    assert e.value == hits / n and e.n == n


def test_normal_interval_of_a_mean_equals_statsmodels():
    """statsmodels' ``DescrStatsW.zconfint_mean`` (normal quantile, sample standard deviation)."""
    require_library("statsmodels")
    from statsmodels.stats.weightstats import DescrStatsW

    values = np.random.default_rng(23).random(40)
    e = report.mean(values)
    np.testing.assert_allclose([e.low, e.high], DescrStatsW(values).zconfint_mean(alpha=0.05),
                               rtol=1e-12)
