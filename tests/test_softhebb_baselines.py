"""Fig. 6 baselines (catalog A.12): K-means, PCA, softmax features, SH100's config, the model payload round trip."""

import math

import pytest
import torch

from bioplausible import config as config_mod
from bioplausible.softhebb import experiment as ex
from bioplausible.softhebb import fig6
from bioplausible.softhebb.baselines import ProjectionFeatures, kmeans, pca
from bioplausible.softhebb.readout import FeatureClassifier


def test_kmeans_recovers_two_hand_made_clusters():
    # two tight clusters of 3 points around (0, 0) and (10, 10): Lloyd from any two distinct points ends at their means
    a = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    b = torch.tensor([[10.0, 10.0], [11.0, 10.0], [10.0, 11.0]], dtype=torch.float64)
    x = torch.cat([a, b])
    expected = torch.stack([a.mean(0), b.mean(0)])  # (1/3, 1/3), (31/3, 31/3)
    for seed in range(6):
        history: list = []
        c = kmeans(x, 2, iters=10, seed=seed, history=history)
        c = c[c[:, 0].argsort()]
        torch.testing.assert_close(c, expected, rtol=0, atol=1e-12)
        assert history[-1]["changed"] == 0 and len(history) <= 3


def test_pca_components_are_the_top_eigenvectors_of_a_known_covariance():
    # data = z @ A with z having the exact identity sample covariance -> sample covariance A^T A
    torch.manual_seed(0)
    n = 400
    z = torch.randn(n, 3, dtype=torch.float64)
    z = z - z.mean(0)
    L = torch.linalg.cholesky(z.T @ z / (n - 1))
    z = z @ torch.linalg.inv(L).T  # whitened exactly: z^T z / (n - 1) = I
    q, _ = torch.linalg.qr(torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 3.0]], dtype=torch.float64))
    variances = torch.tensor([9.0, 4.0, 1.0], dtype=torch.float64)
    A = torch.diag(variances.sqrt()) @ q.T  # rows: sqrt(var_i) * e_i, so cov = sum_i var_i e_i e_i^T
    x = z @ A + torch.tensor([5.0, -1.0, 2.0], dtype=torch.float64)  # a mean that centring must remove
    comps = pca(x, 2)
    for i in range(2):
        e = q[:, i]
        assert abs(float(comps[i] @ e)) == pytest.approx(1.0, abs=1e-10)  # equal up to sign
        torch.testing.assert_close(comps[i] @ ((x - x.mean(0)).T @ (x - x.mean(0)) / (n - 1)) @ comps[i],
                                   variances[i], rtol=1e-10, atol=1e-10)


def test_softmax_features_equal_softmax_of_ln_b_times_w_xstar():
    W = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    x = torch.tensor([[3.0, 4.0], [1.0, 0.0]])  # x* = (0.6, 0.8) and (1, 0)
    b = 1000.0
    # by hand: u = W x* = (0.6, 0.8, 1.0) and (1.0, 0.0, 0.6); y_k = b^{u_k} / sum_l b^{u_l}
    for row, u in zip(ProjectionFeatures(W, "softmax", base=b)(x), ([0.6, 0.8, 1.0], [1.0, 0.0, 0.6])):
        num = [b ** uk for uk in u]
        torch.testing.assert_close(row, torch.tensor([v / sum(num) for v in num]), rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(ProjectionFeatures(W, "relu")(-x), torch.zeros(2, 3))  # ReLU of negative u
    assert math.log(b) == pytest.approx(6.907755, abs=1e-6)


def test_sh100_config_differs_from_the_default_variant_only_in_K():
    for scale in ("smoke", "quick", "paper"):
        sh = config_mod.load(scale)["softhebb"]
        variant, seed = sh["wta"]["default_variant"], sh["seeds"][0]
        default = ex.wta_config(sh, "mnist", variant, seed).to_dict()
        sh100 = ex.wta_config(sh, "mnist", variant, seed, K=sh["baselines"]["K"]).to_dict()
        assert sh100.pop("K") == sh["baselines"]["K"] and default.pop("K") == sh["wta"]["K"]
        assert sh100 == default
    sh = config_mod.load("paper")["softhebb"]
    assert sh["baselines"]["K"] == 100 and sh["baselines"]["readout_epochs"] == sh["readout"]["epochs"] == 100


def test_projection_payload_round_trips_through_load_model(tmp_path):
    torch.manual_seed(0)
    W = torch.randn(5, 12)
    features = ProjectionFeatures(W, "softmax", base=1000.0)
    model = FeatureClassifier(features, 5, 10).eval()
    payload = {"kind": "projection", "n_in": 12, "n_features": 5, "n_classes": 10, "activation": "softmax",
               "base": 1000.0, "state_dict": model.state_dict(), "metrics": {"test_acc": 0.5}}
    torch.save(payload, tmp_path / "m.pt")
    loaded, _ = ex.load_model(str(tmp_path / "m.pt"))
    x = torch.rand(4, 1, 3, 4)
    torch.testing.assert_close(loaded(x), model(x))
    torch.testing.assert_close(loaded.features.W, W)


def test_fit_projection_on_a_tiny_case():
    imgs = torch.tensor([[10, 0, 0, 0], [12, 1, 0, 0], [0, 0, 9, 9], [0, 0, 8, 10]], dtype=torch.uint8)
    W, info = fig6.fit_projection(imgs, "kmeans", 2, seed=0, max_iter=10)
    assert W.shape == (2, 4) and info["converged"]
    W, info = fig6.fit_projection(imgs, "pca", 2, seed=0, sign="scores")
    assert W.shape == (2, 4) and 0 < info["explained_variance_ratio"] <= 1 + 1e-9
    with pytest.raises(ValueError, match="kmeans_max_iter"):
        fig6.fit_projection(imgs, "kmeans", 2, seed=0)
    with pytest.raises(ValueError, match="method"):
        fig6.fit_projection(imgs, "ica", 2, seed=0)
