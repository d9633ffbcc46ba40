"""Synthetic objects (Fig. 8), the Fig. 1 example and the proposed deflection metric.

Paper: Moraitis et al., "SoftHebb" (Neuromorph. Comput. Eng. 2022), Sec. 3.6 and Figs 1, 8; catalog
``shared/papers/softhebb.catalog.md`` A.13 ("PGD, targeted", "Deflection metric") and A.14.

- Fig. 8 (A.14): for each class c the first test image of class c that SoftHebb classifies correctly
  (:func:`first_correct_per_class`); untargeted L-inf PGD at every epsilon of a grid; of the restarts the one
  with the highest final cross-entropy ``CE(model(x_adv), y)`` is kept per image and epsilon
  (:func:`highest_loss_restart`, :func:`pgd_adversarials`).
- Deflection (A.13, proposed by the catalog, not in the paper): an independent "human-proxy" classifier
  (:class:`ProxyCNN`, back-propagation on clean data) judges the adversarials. For every *successful*
  adversarial of model M (``M(x_adv) != y``): ``deflected = [proxy(x_adv) == M(x_adv)]``; the rate is
  ``#deflected / #successful`` (:func:`deflection_rate`). A deflected attack changed the image into
  something the proxy also reads as the new class; an undeflected one fooled M with an image the proxy still
  reads as the true (or a third) class.
- Fig. 1 (catalog sh_fig1): the first test "4" that both models classify correctly, that (d) the MLP
  misclassifies and SoftHebb classifies correctly under Gaussian noise at some grid sigma, and (e) the MLP
  misclassifies and SoftHebb classifies correctly under untargeted PGD at epsilon = 16/255
  (:func:`select_fig1_example`); (f) targeted PGD 4 -> 0 at each model's epsilon, the smallest grid epsilon
  at which that model's untargeted robust accuracy is <= 10 % (:func:`targeted_epsilon`).

Attacks go through ``bioplausible.attacks`` (foolbox 3 ``LinfPGD`` built by ``make_attack``, restart seeds
``restart_seed(seed, r)`` in a forked RNG state, as ``robust_accuracy`` does); only the per-restart
adversarials are kept here, which ``robust_accuracy`` does not return.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..attacks import AttackConfig, _attack_context, make_attack, restart_seed
from ..paths import rel_attack, rel_model
from ..training.evaluate import (as_device, as_float01, check_batch_inputs, check_model_device, check_unit_range,
                                eval_mode)
from ..training.loops import cross_entropy_epoch


# --- cached results (paths.py builds the paths) ---------------------------------------------------------
def proxy_model(dataset: str, seed: int | str) -> str:
    """The proxy CNN of one dataset (``results/models/softhebb/{dataset}/proxy_cnn_s{seed}.pt``)."""
    return rel_model("softhebb", f"{dataset}/proxy_cnn_s{seed}")


# (under results/attacks/softhebb/synthetic/, outside the {dataset}/{model} pattern of rule sh_robustness)
def synthetic_result(dataset: str) -> str:
    """Fig. 8 adversarials and deflection rates of one dataset."""
    return rel_attack("softhebb", f"synthetic/{dataset}")


def fig1_result() -> str:
    """The Fig. 1 example (MNIST) and its clean, noisy, attacked and targeted images."""
    return rel_attack("softhebb", "synthetic/fig1_mnist")


# --- image selection --------------------------------------------------------------------------------------
def first_correct_per_class(labels: torch.Tensor, predictions: torch.Tensor, n_classes: int = 10) -> list[int]:
    """Index of the first image of each class c = 0..n_classes-1 with ``prediction == label`` (test order).

    Raises if some class has no correctly classified image (the error names the classes).
    """
    labels, predictions = labels.long().cpu(), predictions.long().cpu()
    if labels.shape != predictions.shape:
        raise ValueError(f"labels and predictions differ in shape: {tuple(labels.shape)} vs {tuple(predictions.shape)}")
    correct = labels == predictions
    out, missing = [], []
    for c in range(n_classes):
        hits = torch.nonzero(correct & (labels == c)).flatten()
        if len(hits) == 0:
            missing.append(c)
        else:
            out.append(int(hits[0]))
    if missing:
        raise ValueError(f"no correctly classified test image of class(es) {missing} among {len(labels)} images")
    return out


def fig8_rows(labels: torch.Tensor, predictions: torch.Tensor, n_classes: int = 10) -> dict[str, list]:
    """Fig. 8 rows: per class, the first correctly classified test image (:func:`first_correct_per_class`).

    A class without a correctly classified image (a model that has not learned, e.g. at smoke scale) gets its
    first test image instead, and is listed in ``incorrect_classes``; a class absent from ``labels`` gets no
    row and is listed in ``absent_classes``. Returns ``indices``, ``classes``, ``clean_correct`` (per row) and
    the two lists, so the figure and the metrics say which rows break the rule.
    """
    labels, predictions = labels.long().cpu(), predictions.long().cpu()
    out: dict[str, list] = {"indices": [], "classes": [], "clean_correct": [], "incorrect_classes": [],
                            "absent_classes": []}
    for c in range(n_classes):
        of_class = torch.nonzero(labels == c).flatten()
        if len(of_class) == 0:
            out["absent_classes"].append(c)
            continue
        correct = of_class[predictions[of_class] == c]
        out["indices"].append(int(correct[0] if len(correct) else of_class[0]))
        out["classes"].append(c)
        out["clean_correct"].append(bool(len(correct)))
        if not len(correct):
            out["incorrect_classes"].append(c)
    return out


def targeted_epsilon(epsilons_255: Sequence[float], robust_accuracy: Sequence[float], *, max_accuracy: float = 0.10,
                     model: str = "model") -> float:
    """The smallest grid epsilon (x 1/255) at which the untargeted robust accuracy is <= ``max_accuracy``.

    Catalog A.13, "PGD, targeted": the attacker "chooses an intensity that suffices to ascertain the attack's
    success with a high probability (see Fig. 5)". Accuracies are fractions in [0, 1]. Raises (naming the
    model and its lowest accuracy) if no grid epsilon brings the accuracy that low.
    """
    eps, acc = [float(e) for e in epsilons_255], [float(a) for a in robust_accuracy]
    if len(eps) != len(acc) or not eps:
        raise ValueError(f"{model}: need one accuracy per epsilon, got {len(eps)} epsilons and {len(acc)} accuracies")
    hits = [e for e, a in zip(eps, acc) if a <= max_accuracy]
    if not hits:
        raise ValueError(f"{model}: untargeted robust accuracy never drops to <= {100 * max_accuracy:g} % on the grid "
                         f"eps = {eps} / 255 (lowest {100 * min(acc):.1f} % at eps = {eps[acc.index(min(acc))]:g}/255); "
                         "no epsilon for the targeted attack")
    return min(hits)


# --- PGD with the highest-loss restart kept ----------------------------------------------------------------
def highest_loss_restart(losses: torch.Tensor) -> torch.Tensor:
    """Per (epsilon, image), the restart with the highest final loss: ``argmax_r losses[r, e, n]``.

    ``losses``: (restarts, n_eps, N). Returns (n_eps, N) int64; ties go to the first restart.
    """
    if losses.dim() != 3:
        raise ValueError(f"losses must have shape (restarts, n_eps, N), got {tuple(losses.shape)}")
    return losses.argmax(dim=0)


def _gather_restart(per_restart: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``per_restart[index[e, n], e, n, ...]`` for every (e, n)."""
    idx = index.reshape(1, *index.shape, *([1] * (per_restart.dim() - 3)))
    idx = idx.expand(1, *per_restart.shape[1:])
    return per_restart.gather(0, idx).squeeze(0)


def pgd_adversarials(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, cfg: AttackConfig, *,
                     device: str | torch.device, batch_size: int, seed: int) -> dict[str, Any]:
    """Untargeted PGD (``cfg``) with the adversarial of the highest-loss restart kept per image and epsilon.

    Restart r runs with torch seed ``restart_seed(seed, r)`` in a forked RNG state (as ``robust_accuracy``).
    Returns (CPU tensors): ``epsilons`` (list), ``adversarial`` float (n_eps, N, *image shape) of the kept
    restart, ``loss`` (n_eps, N) its cross-entropy, ``prediction`` (n_eps, N) the model's class on it,
    ``restart`` (n_eps, N) which restart was kept, and ``prediction_per_restart`` (restarts, n_eps, N).
    An image is robust at epsilon iff every restart's prediction equals its label.
    """
    import foolbox as fb

    if cfg.name != "linf_pgd":
        raise ValueError(f"pgd_adversarials runs attack 'linf_pgd', got {cfg.name!r}")
    dev = as_device(device)
    check_model_device(model, dev)
    check_batch_inputs(images, labels, batch_size, purpose="attack")
    check_unit_range(images)
    labels = labels.long()
    attack = make_attack(cfg)
    eps = list(cfg.epsilons)
    n = len(images)
    shape = (cfg.restarts, len(eps), n)
    losses = torch.empty(shape)
    preds = torch.empty(shape, dtype=torch.long)
    advs = torch.empty(*shape, *images.shape[1:])
    fork_devices = [dev.index or 0] if dev.type == "cuda" else []
    with _attack_context(model):
        fmodel = fb.PyTorchModel(model, bounds=(0, 1), device=dev)
        for r in range(cfg.restarts):
            with torch.random.fork_rng(devices=fork_devices):
                torch.manual_seed(restart_seed(seed, r))
                for start in range(0, n, batch_size):
                    sl = slice(start, min(start + batch_size, n))
                    x, y = as_float01(images[sl], dev), labels[sl].to(dev)
                    _, clipped, _ = attack(fmodel, x, y, epsilons=eps)  # clipped: n_eps tensors (batch, ...)
                    with torch.no_grad():
                        for k, xa in enumerate(clipped):
                            logits = model(xa)  # (batch, n_classes)
                            losses[r, k, sl] = F.cross_entropy(logits, y, reduction="none").cpu()
                            preds[r, k, sl] = logits.argmax(dim=1).cpu()
                            advs[r, k, sl] = xa.detach().float().cpu()
    keep = highest_loss_restart(losses)
    return {"epsilons": eps, "adversarial": _gather_restart(advs, keep), "loss": _gather_restart(losses, keep),
            "prediction": _gather_restart(preds, keep), "restart": keep, "prediction_per_restart": preds}


@torch.no_grad()
def predict_images(model: nn.Module, images: torch.Tensor, *, device: str | torch.device,
                   batch_size: int = 1000) -> torch.Tensor:
    """Arg-max class of float [0, 1] (or uint8) images of any leading shape (..., *image shape) -> (...) CPU."""
    dev = as_device(device)
    check_model_device(model, dev)
    lead = images.shape[:-2]
    flat = images.reshape(-1, *images.shape[-2:])
    out = []
    with eval_mode(model):
        for start in range(0, len(flat), batch_size):
            out.append(model(as_float01(flat[start:start + batch_size], dev)).argmax(dim=1).cpu())
    return torch.cat(out).reshape(lead)


# --- deflection -----------------------------------------------------------------------------------------
def deflection(model_prediction: torch.Tensor, proxy_prediction: torch.Tensor, labels: torch.Tensor) -> dict[str, Any]:
    """Deflection of adversarials (catalog A.13, proposed): among the successful ones (``model != label``),
    the fraction the proxy classifies as the model does (``proxy == model``).

    Predictions: (..., N) over the last axis (e.g. (n_eps, N)); labels: (N,). Returns ``successful`` and
    ``deflected`` counts and ``rate`` (= deflected / successful; NaN where nothing succeeded), each of shape
    (...) as lists.
    """
    m, p, y = model_prediction.long(), proxy_prediction.long(), labels.long()
    if m.shape != p.shape or m.shape[-1] != y.shape[-1]:
        raise ValueError(f"prediction shapes {tuple(m.shape)} (model), {tuple(p.shape)} (proxy) and labels "
                         f"{tuple(y.shape)} do not match")
    successful = m != y
    deflected = successful & (p == m)
    n_s, n_d = successful.sum(dim=-1), deflected.sum(dim=-1)
    rate = torch.where(n_s > 0, n_d.double() / n_s.clamp_min(1), torch.full_like(n_s, float("nan"), dtype=torch.double))
    return {"successful": n_s.tolist(), "deflected": n_d.tolist(), "rate": rate.tolist()}


# --- the proxy classifier -------------------------------------------------------------------------------
class ProxyCNN(nn.Module):
    """The "human-proxy" classifier of the deflection metric: a small back-propagation CNN on raw [0, 1] images.

    conv 5x5 (channels[0]) -> ReLU -> max-pool 2 -> conv 5x5 (channels[1]) -> ReLU -> max-pool 2 -> linear.
    28x28 input: 28 -> 24 -> 12 -> 8 -> 4, so the linear layer sees channels[1] * 16 features.
    """

    def __init__(self, side: int = 28, channels: Sequence[int] = (16, 32), n_classes: int = 10) -> None:
        super().__init__()
        c1, c2 = (int(c) for c in channels)
        self.side = int(side)
        self.conv1 = nn.Conv2d(1, c1, 5)
        self.conv2 = nn.Conv2d(c1, c2, 5)
        out_side = ((self.side - 4) // 2 - 4) // 2
        if out_side < 1:
            raise ValueError(f"ProxyCNN needs images of side >= 16, got {side}")
        self.out = nn.Linear(c2 * out_side * out_side, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(len(x), 1, self.side, self.side)  # (batch, 1, side, side)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (batch, c2, out_side, out_side)
        return self.out(x.flatten(1))  # (batch, n_classes)


def train_proxy(images_uint8: torch.Tensor, labels: torch.Tensor, *, channels: Sequence[int], epochs: int, lr: float,
                batch_size: int, seed: int, device: str | torch.device) -> tuple[ProxyCNN, list[dict[str, float]]]:
    """Adam + cross-entropy (``training.loops.cross_entropy_epoch``); init from ``seed``, epoch order from
    (seed, epoch). Returns the model (eval mode, on ``device``) and the per-epoch log."""
    if images_uint8.dtype != torch.uint8 or images_uint8.dim() != 3 or images_uint8.shape[1] != images_uint8.shape[2]:
        raise TypeError(f"proxy training needs uint8 images (N, side, side), got {images_uint8.dtype} "
                        f"{tuple(images_uint8.shape)}")
    dev = as_device(device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = ProxyCNN(images_uint8.shape[1], channels)
    model.to(dev).train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x_all, y_all = images_uint8.to(dev), labels.to(dev).long()
    log = []
    for epoch in range(1, epochs + 1):
        stats = cross_entropy_epoch(model, lambda idx: x_all[idx].float().div_(255.0), y_all, seed=seed, epoch=epoch,
                                    batch_size=batch_size, optimizer=opt)
        log.append({"epoch": epoch, **stats})
    return model.eval(), log


def load_proxy(path: str, device: str | torch.device = "cpu") -> tuple[ProxyCNN, dict[str, Any]]:
    payload = torch.load(path, map_location="cpu", weights_only=False)
    if payload.get("kind") != "proxy_cnn":
        raise ValueError(f"{path}: not a proxy CNN (kind {payload.get('kind')!r})")
    model = ProxyCNN(payload["side"], payload["channels"], payload["n_classes"])
    model.load_state_dict(payload["state_dict"])
    return model.to(device).eval(), payload


# --- Fig. 1 ---------------------------------------------------------------------------------------------
def noisy_images(images: torch.Tensor, indices: Sequence[int], sigmas: Sequence[float], seed: int) -> torch.Tensor:
    """``clip(x_i + sigma * z_i, 0, 1)`` for every sigma (rows) and image (columns): (n_sigma, N, *shape).

    z_i ~ N(0, I) comes from a CPU generator seeded by (seed, test index i), so an image's noise does not
    depend on which other images are evaluated with it; the same z_i serves every sigma (common random
    numbers, as ``attacks.gaussian_noise_accuracy``).
    """
    x = as_float01(images, torch.device("cpu"))
    z = torch.stack([torch.randn(x.shape[1:], generator=torch.Generator().manual_seed(restart_seed(seed, int(i))))
                     for i in indices]) if len(indices) else torch.zeros_like(x)
    s = torch.tensor([float(v) for v in sigmas]).reshape(-1, *([1] * x.dim()))
    return (x.unsqueeze(0) + s * z.unsqueeze(0)).clamp_(0.0, 1.0)


def fig1_conditions(labels: torch.Tensor, clean: Mapping[str, torch.Tensor], noise: Mapping[str, torch.Tensor],
                    pgd_robust: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
    """The catalog's Fig. 1 selection rule on candidates (N,): both models correct on the clean image (c), MLP
    wrong and SoftHebb right at some sigma (d; ``noise[m]``: (n_sigma, N) predictions), and, if given, MLP not
    robust and SoftHebb robust under untargeted PGD at 16/255 (e; ``pgd_robust[m]``: (N,) bool)."""
    y = labels.long()
    ok = (clean["mlp"] == y) & (clean["softhebb"] == y)
    ok &= ((noise["mlp"] != y) & (noise["softhebb"] == y)).any(dim=0)
    if pgd_robust is not None:
        ok &= ~pgd_robust["mlp"] & pgd_robust["softhebb"]
    return ok


def select_fig1_example(models: Mapping[str, nn.Module], images: torch.Tensor, labels: torch.Tensor, *,
                        digit: int, sigmas: Sequence[float], noise_seed: int, attack: AttackConfig,
                        attack_seed: int, chunk_size: int, device: str | torch.device) -> dict[str, Any]:
    """The first test image of class ``digit`` that meets :func:`fig1_conditions` (``models``: 'softhebb',
    'mlp'; ``attack``: untargeted L-inf PGD with one epsilon).

    Clean and noise conditions are checked on every candidate (cheap); PGD runs on the survivors in test order,
    ``chunk_size`` at a time, until one qualifies. Returns ``index`` (None if no image qualifies), counts of
    candidates at each stage, and for the chosen image its noisy images, the smallest qualifying sigma, each
    model's predictions and its highest-loss adversarial.
    """
    if len(attack.epsilons) != 1:
        raise ValueError(f"the Fig. 1 untargeted attack takes one epsilon, got {attack.epsilons}")
    cand = torch.nonzero(labels.long() == digit).flatten()
    y = labels[cand].long()
    x = images[cand]
    clean = {m: predict_images(net, x, device=device) for m, net in models.items()}
    noisy = noisy_images(x, cand.tolist(), sigmas, noise_seed)  # (n_sigma, N, ...)
    noise = {m: predict_images(net, noisy, device=device) for m, net in models.items()}
    ok = fig1_conditions(y, clean, noise)
    stage = {"n_candidates": len(cand), "n_clean_and_noise_ok": int(ok.sum()), "n_attacked": 0}
    chosen = None
    pool = torch.nonzero(ok).flatten()
    for start in range(0, len(pool), chunk_size):
        part = pool[start:start + chunk_size]
        adv = {m: pgd_adversarials(net, x[part], y[part], attack, device=device, batch_size=len(part),
                                   seed=attack_seed) for m, net in models.items()}
        robust = {m: (a["prediction_per_restart"][:, 0] == y[part]).all(dim=0) for m, a in adv.items()}
        stage["n_attacked"] += len(part)
        hit = torch.nonzero(~robust["mlp"] & robust["softhebb"]).flatten()
        if len(hit):
            j = int(hit[0])
            chosen = (int(part[j]), {m: {"adversarial": a["adversarial"][0, j], "prediction": int(a["prediction"][0, j]),
                                         "loss": float(a["loss"][0, j])} for m, a in adv.items()})
            break
    if chosen is None:
        return {"index": None, **stage}
    c, pgd = chosen
    sig = torch.tensor([float(s) for s in sigmas], dtype=torch.float64)
    flip = (noise["mlp"][:, c] != y[c]) & (noise["softhebb"][:, c] == y[c])
    return {"index": int(cand[c]), "label": int(y[c]), **stage, "image": as_float01(x[c], torch.device("cpu")),
            "clean_prediction": {m: int(p[c]) for m, p in clean.items()},
            "sigmas": sig.tolist(), "noise_sigma": float(sig[flip][0]), "noisy_image": noisy[int(torch.nonzero(flip)[0]), c],
            "noise_prediction": {m: int(p[int(torch.nonzero(flip)[0]), c]) for m, p in noise.items()},
            "noise_predictions_all": {m: p[:, c].tolist() for m, p in noise.items()},
            "untargeted": pgd}


# --- metrics and plots of the notebooks -------------------------------------------------------------------
PROXY_TARGET = {"mnist": 0.99, "fashion_mnist": 0.90}  # catalog A.13: ">=99 % MNIST, >=90 % F-MNIST"
MODEL_LABELS = {"softhebb": "SoftHebb", "mlp": "MLP (BP)"}


def _pct(rate: float) -> float:
    return 100 * rate if rate == rate else float("nan")  # NaN (nothing succeeded) stays NaN


def synthetic_metrics(result: Mapping[str, Any]) -> dict[str, Any]:
    """Metrics of sh_fig8a/b from a ``sh_synthetic`` result (rates in %, NaN where no attack succeeded).

    ``fig8_{model}_deflection_eps{e}`` / ``_successful_eps{e}``: on the 10 Fig. 8 rows;
    ``subset_{model}_deflection_eps{e}`` / ``_successful_eps{e}``: on the first ``subset_n_images`` test images;
    ``{part}_{model}_deflection_max_eps`` at the part's largest epsilon and ``{part}_deflection_gap_max_eps``
    (SoftHebb - MLP, points).
    """
    out: dict[str, Any] = {
        "dataset": result["dataset"], "n_test": result["n_test"],
        **{f"{m}_clean_acc": 100 * a for m, a in result["clean_accuracy"].items()},
        "proxy_acc": 100 * result["proxy_accuracy"], "proxy_target_acc": 100 * PROXY_TARGET[result["dataset"]],
    }
    fig8 = result["fig8"]
    out.update(grid_rows=len(fig8["indices"]), grid_cols=len(fig8["epsilons_255"]), fig8_rows=list(fig8["indices"]),
               grid_rows_following_rule=sum(fig8["clean_correct"]), incorrect_classes=list(fig8["incorrect_classes"]),
               absent_classes=list(fig8["absent_classes"]), subset_n_images=result["deflection_subset"]["n_images"])
    for part, key in (("fig8", "fig8"), ("subset", "deflection_subset")):
        res = result[key]
        eps = [int(e) if float(e).is_integer() else e for e in res["epsilons_255"]]
        for m in MODEL_LABELS:
            d = res[m]["deflection"]
            for k, e in enumerate(eps):
                out[f"{part}_{m}_deflection_eps{e}"] = _pct(d["rate"][k])
                out[f"{part}_{m}_successful_eps{e}"] = d["successful"][k]
            out[f"{part}_{m}_deflection_max_eps"] = _pct(d["rate"][-1])
            out[f"{part}_{m}_successful_max_eps"] = d["successful"][-1]
        out[f"{part}_max_eps_255"] = eps[-1]
        out[f"{part}_deflection_gap_max_eps"] = out[f"{part}_softhebb_deflection_max_eps"] - out[f"{part}_mlp_deflection_max_eps"]
    return out


def plot_synthetic_grid(fig, result: Mapping[str, Any], models: Sequence[str] = ("softhebb", "mlp")) -> None:
    """Fig. 8 grids side by side, one per model: rows = the first correct test image per class, columns = epsilon.

    Each image is the clipped adversarial of the kept (highest-loss) restart, in grayscale; its title is the
    attacked model's label and, after "|", the proxy CNN's (green: model still correct; purple: deflected, the
    proxy agrees with the new label; red: not deflected).
    """
    fig8 = result["fig8"]
    eps = fig8["epsilons_255"]
    rows, labels, ncol = len(fig8["indices"]), fig8["labels"], len(eps)
    ratios = []
    for g in range(len(models)):
        ratios += ([0.35] if g else []) + [1] * ncol
    axes = fig.subplots(rows, len(ratios), squeeze=False,
                        gridspec_kw={"width_ratios": ratios, "wspace": 0.06, "hspace": 0.45})
    for ax in axes.flat:
        ax.set_axis_off()
    for g, m in enumerate(models):
        first = g * (ncol + 1)
        adv, pred, proxy = fig8[m]["adversarial"], fig8[m]["prediction"], fig8[m]["proxy_prediction"]
        for i in range(rows):
            for k, e in enumerate(eps):
                ax = axes[i, first + k]
                ax.imshow(adv[k, i].numpy(), cmap="gray", vmin=0, vmax=1)
                p, q = int(pred[k, i]), int(proxy[k, i])
                color = "#2ca02c" if p == labels[i] else ("#9467bd" if q == p else "#d62728")
                ax.set_title(f"{p}|{q}", fontsize=5, color=color, pad=1)
                if i == rows - 1:
                    ax.text(0.5, -0.2, f"{e:g}", transform=ax.transAxes, ha="center", va="top", fontsize=5)
        left, right = axes[0, first].get_position(), axes[0, first + ncol - 1].get_position()
        fig.text((left.x0 + right.x1) / 2, left.y1 + 0.03, MODEL_LABELS[m], ha="center", va="bottom", fontsize=7,
                 fontweight="bold")
    bottom = axes[-1, 0].get_position().y0
    fig.text(0.5, bottom - 0.05, r"$\epsilon$ (x 1/255)   title: model label | proxy-CNN label "
             "(green: correct, purple: deflected, red: not deflected)", ha="center", va="top", fontsize=6)


def plot_deflection(ax, result: Mapping[str, Any]) -> None:
    """Deflection rate (%) vs epsilon on the larger subset, one line per model."""
    from ..plotting import METHOD_COLORS

    res = result["deflection_subset"]
    for m in MODEL_LABELS:
        rate = [_pct(r) for r in res[m]["deflection"]["rate"]]
        ax.plot(res["epsilons_255"], rate, marker="o", color=METHOD_COLORS[m], label=MODEL_LABELS[m])
    ax.set_xlabel(r"$\epsilon$ (x 1/255)")
    ax.set_ylabel("deflected (% of successful)")
    ax.set_ylim(-2, 102)
    ax.set_title(f"first {res['n_images']} test images", fontsize=7)
    ax.legend(frameon=False, fontsize=6)


def fig1_metrics(result: Mapping[str, Any]) -> dict[str, Any]:
    """Metrics of sh_fig1 from a ``sh_fig1_example`` result."""
    sel = result["selection"]
    out: dict[str, Any] = {
        "example_found": sel["index"] is not None, "example_index": sel["index"],
        "n_candidates": sel["n_candidates"], "n_clean_and_noise_ok": sel["n_clean_and_noise_ok"],
        "n_attacked": sel["n_attacked"], "untargeted_eps_255": result["untargeted_eps_255"],
        **{f"{m}_clean_acc": 100 * a for m, a in result["clean_accuracy"].items()},
        **{f"{m}_targeted_eps_255": e for m, e in result["targeted_eps_255"].items()},
    }
    if sel["index"] is None:  # every claim metric exists; the claims that need an example are then inconclusive
        out.update({f"{m}_targeted_success": False for m in MODEL_LABELS})
        out.update(targeted_success_both=False, targeted_softhebb_deflected=False, targeted_mlp_not_deflected=False)
        return out
    out.update(noise_sigma=sel["noise_sigma"])
    for m in MODEL_LABELS:
        t = result["targeted"][m]
        out.update({f"{m}_clean_prediction": sel["clean_prediction"][m], f"{m}_noise_prediction": sel["noise_prediction"][m],
                    f"{m}_untargeted_prediction": sel["untargeted"][m]["prediction"],
                    f"{m}_untargeted_proxy_prediction": result["untargeted_proxy_prediction"][m],
                    f"{m}_targeted_success": t["success"], f"{m}_targeted_prediction": t["prediction"],
                    f"{m}_targeted_proxy_prediction": t["proxy_prediction"]})
    out["targeted_success_both"] = all(result["targeted"][m]["success"] for m in MODEL_LABELS)
    out["targeted_softhebb_deflected"] = result["targeted"]["softhebb"]["proxy_prediction"] == result["target"]
    out["targeted_mlp_not_deflected"] = result["targeted"]["mlp"]["proxy_prediction"] == result["digit"]
    return out


def plot_fig1(fig, result: Mapping[str, Any]) -> None:
    """Panels (a)-(f): two text boxes, then the chosen digit clean, noisy, attacked and targeted, with each model's
    prediction in a circle (green: the true label, red: another; in (f) the attack succeeds when it is red)."""
    from matplotlib.patches import Circle

    sel = result["selection"]
    gs = fig.add_gridspec(2, 6, width_ratios=[1.7, 1.7, 1, 1, 1, 1], hspace=0.3, wspace=0.3)
    boxes = [("(a) Unsupervised", "SoftHebb: local Hebbian\nplasticity, no top-down\ncross-entropy signal\n\n"
              "BP: end-to-end back-\npropagation of the\ncross-entropy error"),
             ("(b) X-ent & speed", "SoftHebb minimises the\ncross-entropy w.r.t. the\nhidden labels implicitly\n"
              "(Bayesian posterior) and\nlearns fast (Fig. 4b-d)")]
    for j, (title, text) in enumerate(boxes):
        ax = fig.add_subplot(gs[:, j])
        ax.axis("off")
        ax.set_title(title, fontsize=7, loc="left")
        ax.text(0.0, 0.9, text, fontsize=5.5, va="top", transform=ax.transAxes,
                bbox={"boxstyle": "round", "facecolor": "0.95", "edgecolor": "0.6"})
    if sel["index"] is None:
        ax = fig.add_subplot(gs[:, 2:])
        ax.axis("off")
        ax.text(0.5, 0.5, f"no test '{result['digit']}' meets the selection rule\n"
                f"({sel['n_candidates']} candidates, {sel['n_clean_and_noise_ok']} pass (c)+(d), "
                f"{sel['n_attacked']} attacked)", ha="center", va="center", fontsize=7, color="#d62728")
        return
    y = result["digit"]
    t = result["targeted"]
    panels = [
        ("(c) clean", {m: (sel["image"], sel["clean_prediction"][m]) for m in MODEL_LABELS}),
        (f"(d) noise $\\sigma$={sel['noise_sigma']:.2g}", {m: (sel["noisy_image"], sel["noise_prediction"][m])
                                                        for m in MODEL_LABELS}),
        (f"(e) PGD $\\epsilon$={result['untargeted_eps_255']:g}/255",
         {m: (sel["untargeted"][m]["adversarial"], sel["untargeted"][m]["prediction"]) for m in MODEL_LABELS}),
        (f"(f) targeted {y}$\\to${result['target']}",
         {m: (t[m]["adversarial"], t[m]["prediction"]) for m in MODEL_LABELS}),
    ]
    for j, (title, per_model) in enumerate(panels):
        for i, m in enumerate(("mlp", "softhebb")):  # BP on top, SoftHebb below (as Fig. 1)
            ax = fig.add_subplot(gs[i, 2 + j])
            img, pred = per_model[m]
            ax.imshow(img.numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            color = "#2ca02c" if pred == y else "#d62728"
            ax.add_patch(Circle((0.86, 0.86), 0.12, transform=ax.transAxes, facecolor="white", edgecolor=color, lw=1.2))
            ax.text(0.86, 0.86, str(pred), transform=ax.transAxes, ha="center", va="center", fontsize=6, color=color)
            if j == 3:
                ax.set_xlabel(f"$\\epsilon$={result['targeted_eps_255'][m]:g}/255", fontsize=5, labelpad=1)
            if i == 0:
                ax.set_title(title, fontsize=6)
            if j == 0:
                ax.text(-0.08, 0.5, MODEL_LABELS[m], transform=ax.transAxes, rotation=90, ha="right", va="center",
                        fontsize=6)
