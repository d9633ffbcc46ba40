"""The analysis helpers of the Xavier-run figures (bioplausible.oja.figures) on hand-computable cases."""

import json

import numpy as np
import pytest
import torch

from bioplausible.oja import figures as F

pytestmark = pytest.mark.usefixtures("one_thread")


def test_final_mean_and_errors():
    v = np.array([[0.0, 1.0, 2.0, 3.0], [4.0, 4.0, 6.0, 8.0]])
    assert np.allclose(F.final_mean(v, 2), [2.5, 7.0])
    assert np.allclose(F.final_mean(v, 4), [1.5, 5.5])
    with pytest.raises(ValueError, match="last=5"):
        F.final_mean(v, 5)


def test_rank_correlation():
    assert F.rank_correlation([1, 2, 3, 4], [10, 20, 25, 100]) == pytest.approx(1.0)
    assert F.rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ranks (1, 2, 3) vs (1.5, 1.5, 3): rho = 0.75 / sqrt(2 * 1.5) = 0.866
    assert F.rank_correlation([1, 2, 3], [5, 5, 7]) == pytest.approx(np.sqrt(3) / 2)
    assert F.rank_correlation([1, 2, 3], [1, 1, 1]) == 0.0


def test_chained_reconstruction_inverts_orthogonal_weights():
    torch.manual_seed(0)
    q1, _ = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64))
    q2, _ = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64))
    x = torch.randn(3, 6, dtype=torch.float64)
    y2 = x @ q1.T @ q2.T                                # linear y_2 = W_2 W_1 x
    assert torch.allclose(F.chained_reconstruction([q1, q2], y2, 2), x)
    assert torch.allclose(F.chained_reconstruction([q1, q2], x @ q1.T, 1), x)


def test_chained_reconstruction_by_hand_and_errors():
    W1 = torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]])   # (2, 3)
    W2 = torch.tensor([[2.0, -1.0]])                          # (1, 2)
    y = torch.tensor([[3.0]])
    # W_2ᵀ y = (6, -3); W_1ᵀ (6, -3) = (6, 12 - 3, -3)
    assert torch.allclose(F.chained_reconstruction([W1, W2], y, 2), torch.tensor([[6.0, 9.0, -3.0]]))
    with pytest.raises(ValueError, match="layer=3"):
        F.chained_reconstruction([W1, W2], y, 3)
    with pytest.raises(ValueError, match="width"):
        F.chained_reconstruction([W1, W2], y, 1)


def test_minmax_and_mse():
    x = torch.tensor([[0.0, 0.5, 1.0], [2.0, 2.0, 2.0]])
    assert torch.allclose(F.minmax(torch.tensor([[2.0, 3.0, 4.0]])), torch.tensor([[0.0, 0.5, 1.0]]))
    assert torch.allclose(F.minmax(x)[1], torch.zeros(3))
    # the scaling makes the error invariant to the reconstruction's offset and scale
    assert F.reconstruction_mse(x[:1], 3 * x[:1] + 7) == pytest.approx(0.0)
    assert F.reconstruction_mse(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 0.0]])) == pytest.approx(1.0)


def test_pca_of_a_known_spectrum():
    torch.manual_seed(0)
    d = 5
    q, _ = torch.linalg.qr(torch.randn(d, d, dtype=torch.float64))
    # exactly zero-mean data with sample covariance Q diag(s) Qᵀ: rows ±sqrt((N-1) s_k / 2) q_k
    s = torch.tensor([8.0, 4.0, 2.0, 1.0, 1.0], dtype=torch.float64)
    rows = []
    for k in range(d):
        v = q[:, k] * torch.sqrt(s[k] * (2 * d - 1) / 2)
        rows += [v, -v]
    ratio = F.explained_variance_ratio(torch.stack(rows) + 3.0)   # the offset is centred away
    assert np.allclose(ratio, (s / s.sum()).numpy())
    # cumulative: 0.5, 0.75, 0.875, 0.9375, 1
    assert F.n_components(ratio, 0.5) == 1
    assert F.n_components(ratio, 0.9) == 4
    assert F.n_components(ratio, 0.95) == 5
    assert F.n_components(np.array([0.5, 0.5]), 1.0) == 2
    with pytest.raises(ValueError, match="zero variance"):
        F.explained_variance_ratio(torch.ones(4, 3))


def test_spread_and_drift():
    assert np.allclose(F.layer_spread(np.array([[1.0, 4.0, 2.0], [3.0, 3.0, 3.0]])), [4.0, 1.0])
    assert np.allclose(F.drift(np.array([[1.0, 5.0], [2.0, 5.0], [0.5, 10.0]])), [4.0, 2.0])
    with pytest.raises(ValueError, match="positive"):
        F.layer_spread(np.array([0.0, 1.0]))


def test_cached_data_cfg(tmp_path):
    (tmp_path / "test.json").write_text(json.dumps({"fixture": True, "verified": False}))
    assert F.cached_data_cfg(tmp_path / "test.pt") == {"fixtures": True, "allow_unverified": True}
    (tmp_path / "train.json").write_text(json.dumps({"fixture": False, "verified": True}))
    assert F.cached_data_cfg(tmp_path / "train.pt") == {"fixtures": False, "allow_unverified": False}
    with pytest.raises(FileNotFoundError, match="manifest"):
        F.cached_data_cfg(tmp_path / "none.pt")
