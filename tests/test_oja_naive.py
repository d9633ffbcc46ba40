"""Helpers of the naive-init / feedback-alignment figures (oja_fig5, 6cd, 6gh, S1) on hand-computable cases."""

import numpy as np
import pytest
import torch

from bioplausible.oja.figures_naive import drift, moving_average, signal_norms, spread, validation_images

pytestmark = pytest.mark.usefixtures("one_thread")


def test_moving_average_by_hand():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(moving_average(x, 2), [1.5, 2.5, 3.5, 4.5])
    np.testing.assert_allclose(moving_average(x, 5), [3.0])
    np.testing.assert_allclose(moving_average(x, 1), x)


def test_moving_average_along_axis():
    x = np.array([[0.0, 10.0], [2.0, 20.0], [4.0, 30.0]])        # (steps, layers), smooth along steps
    np.testing.assert_allclose(moving_average(x, 2, axis=0), [[1.0, 15.0], [3.0, 25.0]])


@pytest.mark.parametrize("window", [0, 6, 2.5])
def test_moving_average_bad_window(window):
    with pytest.raises(ValueError, match="window"):
        moving_average(np.arange(5.0), window)


def test_spread_and_drift_by_hand():
    assert spread(np.array([1.0, 4.0, 2.0])) == pytest.approx(4.0)
    np.testing.assert_allclose(spread(np.array([[1.0, 2.0], [3.0, 3.0]])), [2.0, 1.0])
    # (checkpoints, layers): layer 0 goes 1 -> 5, layer 1 stays within 2..3
    assert drift(np.array([[1.0, 2.0], [5.0, 3.0], [2.0, 2.5]])) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="positive"):
        spread(np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="checkpoints"):
        drift(np.ones(3))


def test_signal_norms_closed_form():
    # One run, L = 2: W1 = [[1], [0]] on scalar inputs x in {-a, a}: z1 = (x, 0).
    # y1 = softplus(x) and softplus(0): only the first unit varies, std = (sp(a) - sp(-a)) / 2 = a / 2 (sp(a)-sp(-a) = a).
    # z2 = W2 y1 with W2 = [[2, 5]]: std over inputs = 2 * a / 2 = a.
    a, beta = 0.3, 10.0
    W = [torch.tensor([[[1.0], [0.0]]], dtype=torch.float64), torch.tensor([[[2.0, 5.0]]], dtype=torch.float64)]
    x = torch.tensor([[-a], [a]], dtype=torch.float64)
    s = signal_norms(W, x, beta)
    assert s.shape == (1, 2)
    np.testing.assert_allclose(s[0], [a / 2, a], rtol=1e-12)


def test_validation_images_same_draw_as_the_runs(tmp_path):
    images = torch.arange(6 * 2 * 2, dtype=torch.uint8).reshape(6, 2, 2)
    path = tmp_path / "test.pt"
    torch.save({"images": images, "targets": torch.zeros(6, dtype=torch.long)}, path)
    x = validation_images(path, 3, 7)
    keep = torch.randperm(6, generator=torch.Generator().manual_seed(7))[:3]
    torch.testing.assert_close(x, images[keep].reshape(3, 4).float() / 255)
    with pytest.raises(ValueError, match="n_val"):
        validation_images(path, 7, 0)
