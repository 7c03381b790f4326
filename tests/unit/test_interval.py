"""The interval formulas against numbers worked by hand."""

from __future__ import annotations

import math

import pytest

from qckpt.backend.report.interval import advise, daly, overhead, young


def test_young_and_daly_on_a_checkpoint_of_a_minute_and_an_interruption_a_day():
    # sqrt(2 * 60 * 86400) = sqrt(10,368,000) = 3219.94; C/2M = 3.4722e-4, its root 0.018634:
    # 3219.94 * (1 + 0.0062113 + 0.0000386) - 60 = 3180.06
    assert young(60, 86400) == pytest.approx(3219.94, abs=0.01)
    assert daly(60, 86400) == pytest.approx(3180.06, abs=0.01)


def test_daly_is_the_mean_time_between_interruptions_when_a_checkpoint_costs_twice_it():
    assert daly(7200, 3600) == 3600


def test_the_overhead_of_an_interval_and_the_optimum_is_its_lowest():
    # 86400 * (e^(660/86400) - 1) / 600 - 1 = 86400 * 0.0076688 / 600 - 1 = 0.10432
    assert overhead(600, 60, 86400) == pytest.approx(0.1042, abs=0.0005)
    best = daly(60, 86400)
    assert overhead(best, 60, 86400) == pytest.approx(0.0382, abs=0.0005)
    for other in (best * 0.8, best * 1.25, 600, 20000):
        assert overhead(other, 60, 86400) > overhead(best, 60, 86400)
    assert overhead(10**8, 60, 86400) == math.inf


def test_advice_says_how_far_the_interval_in_use_is():
    advice = advise(60, 86400, current=600)
    assert advice.factor == pytest.approx(3180.06 / 600, abs=0.01)
    assert advice.overhead_current > advice.overhead_best
    assert advise(60, 86400, current=None).factor is None
    with pytest.raises(ValueError, match="positive"):
        advise(0, 86400, current=600)
