import numpy as np
import pytest

from bioplausible.oja.stats import bands_overlap, bootstrap_band


def test_bootstrap_band_of_identical_runs_is_a_point():
    mean, lo, hi = bootstrap_band(np.tile([[1.0, 2.0, 3.0]], (20, 1)))
    assert np.allclose(mean, [1, 2, 3]) and np.allclose(lo, mean) and np.allclose(hi, mean)


def test_bootstrap_band_brackets_the_mean_and_narrows_with_runs():
    rng = np.random.default_rng(0)
    few, many = rng.normal(size=(5, 1)), rng.normal(size=(500, 1))
    m5, lo5, hi5 = bootstrap_band(few)
    m500, lo500, hi500 = bootstrap_band(many)
    assert lo5 <= m5 <= hi5 and lo500 <= m500 <= hi500
    assert (hi500 - lo500) < (hi5 - lo5)
    # the 98 % band of a mean of 500 N(0, 1) is about +-2.33 / sqrt(500) = +-0.10
    assert 0.1 < (hi500 - lo500)[0] < 0.3


def test_overlap_and_errors():
    a = (np.zeros(3), np.zeros(3) - 1, np.zeros(3) + 1)
    b = (np.zeros(3) + 5, np.zeros(3) + 4, np.zeros(3) + 6)
    assert not bands_overlap(a, b) and bands_overlap(a, a)
    with pytest.raises(ValueError, match="runs, checkpoints"):
        bootstrap_band(np.zeros(3))
