"""SoftHebb's first-epoch online protocol (Figs. 4b-d): one pass, batch 1, over the training set.

Paper: Moraitis et al., "SoftHebb" (Neuromorph. Comput. Eng. 2022), Sec. 2.9, 3.2-3.4, Table 1 ("1 epoch"
column); catalog ``shared/papers/softhebb.catalog.md`` A.7 (exponential lr), A.8-3 (simultaneous delta-rule
classifier), A.9 (post-hoc cross-entropy checkpoints), A.10 (R1 features), A.16 (one step, B = 1).

One online step t (example x_t, label l_t), every quantity computed with the parameters before the step:

    x* = x_t/||x_t||;  u = W x*;  y = softmax(ln b u + beta)          (hard WTA: y = onehot(argmax u))
    W    <- W + eta_t (y x*^T - diag(y u) W)                            (Eq. 9, B = 1)
    Q    <- Q + eta_b,t (y - Q);  beta = ln Q                            (Eq. 11, EMA form; SoftHebb only)
    V, c <- delta rule with y and target onehot(l_t), rate eta2          (A.8-3, same y: "update-unlocked")
    eta_t = max(eta_min, eta_0 gamma^t),  gamma^T = eta_min/eta_0        (A.7; T = number of examples)

``train_online`` runs exactly that. To make a 60 000-step pass over K = 2000 neurons fast on a CPU it does not
touch W at every step: within a chunk of B consecutive steps starting at W_0 it keeps

    W_j = diag(A) W_0 + C^T X_{<j}        (A: (K,), C: (B, K), X: the chunk's x* rows)

which is Eq. 9 unrolled (W_{j+1} = diag(a_j) W_j + eta_j y_j x*_j^T with a_j = 1 - eta_j y_j u_j gives
A <- a_j A, C_{<j} <- a_j C_{<j}, C_j = eta_j y_j). Then u_j = A * (W_0 x*_j) + (X_{<j} x*_j) C_{<j}: one
matrix product W_0 X^T per chunk, a (j, K) correction per step, and W = diag(A) W_0 + C^T X once at the end
of the chunk. It is the same arithmetic as B single steps of ``rules.apply_soft_wta_update_`` up to float
rounding (tested against ``wta.train_wta`` with batch size 1); chunks end at every checkpoint.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import torch

from ..paths import rel_model
from ..training import mean_loss
from . import rules
from .readout import FeatureClassifier
from .wta import R1_TOL, SoftWTA, WTAConfig, _epoch_permutation, _init_weight, lr_at

__all__ = [
    "HARD_WTA",
    "OnlineRun",
    "checkpoint_layer",
    "checkpoint_steps",
    "clean_summary_lines",
    "first_step_reaching",
    "linear_readout_model",
    "load_result",
    "online_mlp_kwargs",
    "online_mlp_result",
    "online_variants",
    "online_wta_config",
    "online_wta_result",
    "posthoc_cross_entropy",
    "r1_count",
    "train_online",
]

HARD_WTA = "hard_wta"


def checkpoint_steps(requested: Sequence[int], n_steps: int) -> list[int]:
    """Checkpoint iterations of A.9 capped at the pass length: sorted, unique, those <= ``n_steps``, plus 0 and
    ``n_steps`` (the initial and the final layer are always kept)."""
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    bad = [t for t in requested if int(t) != t or t < 0]
    if bad:
        raise ValueError(f"checkpoint iterations must be integers >= 0, got {bad}")
    return sorted({0, int(n_steps), *(int(t) for t in requested if t <= n_steps)})


def r1_count(weight: torch.Tensor, tol: float = R1_TOL) -> int:
    """A.10: R1 = #{k : | ||w_k||_2 - 1 | <= tol} for W (K, n); tol = 0.01 ("radius of 1 +- 0.01")."""
    if weight.dim() != 2:
        raise ValueError(f"weight must be (K, n), got shape {tuple(weight.shape)}")
    return int(((weight.norm(dim=1) - 1.0).abs() <= tol).sum())


def online_wta_config(sh: Mapping[str, Any], dataset: str, variant: str, seed: int) -> WTAConfig:
    """The WTAConfig of one online run: Table 1's 1-epoch column (base, lr0, exponential decay, lr_min,
    batch 1, one epoch) + ``softhebb.wta`` sizes/init + the variant's departures.

    ``variant`` is a key of ``softhebb.online.variants`` (each names a ``softhebb.wta.variants`` entry whose
    departures it takes, plus its own online overrides), or ``hard_wta``: base = inf, no prior, the
    initialisation of the online default variant (as ``experiment.wta_config`` does for the 100-epoch runs).
    """
    wta, online = sh["wta"], sh["online"]
    column = sh["table1"]["epoch_1"]["hard_wta" if variant == HARD_WTA else "soft_wta"]
    lr0 = sh["table1"]["fashion_mnist_wta_lr0"] if dataset == "fashion_mnist" else column["lr0"]
    fields: dict[str, Any] = {
        "K": wta["K"], "lr0": lr0, "schedule": column["lr_decay"], "lr_min": column["lr_min"],
        "batch_size": column["batch_size"], "epochs": 1.0, "init": wta["init"], "init_radius": wta["init_radius"],
        "prior_lr_factor": wta["prior_lr_factor"], "seed": seed,
    }

    def departures(name: str) -> dict[str, Any]:
        if name not in online["variants"]:
            raise KeyError(f"unknown online SoftHebb variant {name!r}; config softhebb.online.variants has "
                           f"{sorted(online['variants'])} (and {HARD_WTA!r})")
        spec = dict(online["variants"][name])
        base_variant = spec.pop("from")
        if base_variant not in wta["variants"]:
            raise KeyError(f"softhebb.online.variants.{name}.from = {base_variant!r} is not a key of "
                           f"softhebb.wta.variants ({sorted(wta['variants'])})")
        out = dict(wta["variants"][base_variant])
        out.setdefault("rule", base_variant)
        out.update(spec)
        return out

    if variant == HARD_WTA:
        default = departures(online["default_variant"])
        fields.update({k: default[k] for k in ("init", "init_radius") if k in default})
        fields.update(base=math.inf, learn_prior=False, variant="paper_literal")
    else:
        overrides = departures(variant)
        fields.update(base=column["softmax_base"], variant=overrides.pop("rule"))
        fields.update(overrides)
    return WTAConfig.from_mapping(fields)


@dataclass
class OnlineRun:
    """What one online pass produced (all tensors on the CPU)."""

    layer: SoftWTA                       # the final layer (weight, log_prior)
    delta_weight: torch.Tensor           # V (n_classes, K): simultaneous delta-rule classifier
    delta_bias: torch.Tensor             # c (n_classes,)
    steps: list[int]                     # checkpoint iterations (examples seen)
    weights: list[torch.Tensor]          # W at each checkpoint, (K, n)
    log_priors: list[torch.Tensor]       # beta at each checkpoint, (K,)
    winners: torch.Tensor                # (T,) winner argmax_k (ln b u_k + beta_k) of each step, before its update
    log: list[dict[str, Any]] = field(default_factory=list)  # per checkpoint: step, lr, r1, norm stats, winners so far
    seconds: float = 0.0


@torch.no_grad()
def train_online(images_uint8: torch.Tensor, labels: torch.Tensor, cfg: WTAConfig, *, delta_lr: float,
                 checkpoints: Sequence[int], chunk: int = 32, n_classes: int = 10,
                 device: str | torch.device = "cpu") -> OnlineRun:
    """One online epoch (batch 1) of the WTA layer with the simultaneous delta-rule classifier (module docstring).

    ``images_uint8`` (N, ...) uint8 and ``labels`` (N,) int: the pass takes the N examples in the order of
    ``wta._epoch_permutation(cfg.seed, 0, N)`` and initialises W with ``wta._init_weight`` (so it matches
    ``train_wta`` with batch size 1 and one epoch); T = N steps, the lr schedule runs over T. The delta-rule
    classifier starts at V = 0, c = 0 (inferred; the paper gives no init) and learns with constant ``delta_lr``.
    ``checkpoints``: iterations at which W and beta are copied (``checkpoint_steps`` caps them at T).
    ``chunk``: steps per chunk of the fast path; it does not change the result beyond float rounding.
    """
    if images_uint8.dtype != torch.uint8:
        raise TypeError(f"train_online expects uint8 images, got {images_uint8.dtype}")
    if len(images_uint8) != len(labels) or len(labels) == 0:
        raise ValueError(f"need as many labels as images (> 0), got {len(images_uint8)} and {len(labels)}")
    if cfg.batch_size != 1 or cfg.epochs != 1:
        raise ValueError(f"the online protocol is batch 1, one epoch; WTAConfig has batch_size={cfg.batch_size}, "
                         f"epochs={cfg.epochs}")
    if cfg.variant == "official_stabilised":
        raise ValueError("variant official_stabilised (per-layer max-abs update normalisation) has no online "
                         "implementation; use paper_literal or sharp_base")
    if not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be an int >= 1, got {chunk!r}")
    if not delta_lr > 0:
        raise ValueError(f"delta_lr must be > 0, got {delta_lr!r}")
    dev = torch.device(device)
    started = time.perf_counter()
    data = images_uint8.reshape(images_uint8.shape[0], -1).to(dev)  # (N, n) uint8
    labels = labels.to(dev).long()
    if int(labels.min()) < 0 or int(labels.max()) >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes}), got [{int(labels.min())}, {int(labels.max())}]")
    T, n = data.shape
    K = cfg.K
    steps = checkpoint_steps(checkpoints, T)
    perm = _epoch_permutation(cfg.seed, 0, T).to(dev)
    W = _init_weight(cfg, data).to(dev)                      # (K, n)
    q = torch.full((K,), 1.0 / K, device=dev)                 # Q = e^beta, uniform prior
    beta = torch.log(q)                                       # (K,)
    ln_b = math.inf if cfg.hard else math.log(cfg.base)
    V = torch.zeros(n_classes, K, device=dev)                 # delta-rule classifier
    c = torch.zeros(n_classes, device=dev)
    eye = torch.eye(n_classes, device=dev)
    win = torch.empty(T, dtype=torch.long, device=dev)

    weights: list[torch.Tensor] = []
    log_priors: list[torch.Tensor] = []
    log: list[dict[str, Any]] = []

    def checkpoint(t: int) -> None:
        norms = W.norm(dim=1)
        weights.append(W.detach().cpu().clone())
        log_priors.append(beta.detach().cpu().clone())
        log.append({"step": t, "lr": lr_at(cfg, t, T), "r1": r1_count(W), "norm_mean": float(norms.mean()),
                    "norm_min": float(norms.min()), "norm_max": float(norms.max()),
                    "winners_so_far": int(win[:t].unique().numel()) if t else 0})

    next_ckpt = iter(steps)
    ckpt = next(next_ckpt)
    t0 = 0
    while True:
        if t0 == ckpt:
            checkpoint(t0)
            ckpt = next(next_ckpt, None)
            if ckpt is None:
                break
        t1 = min(t0 + chunk, ckpt)
        B = t1 - t0
        idx = perm[t0:t1]
        X = rules.normalise_input(data[idx].float().div_(255.0))  # (B, n) x* rows of the chunk
        G = X @ W.t()                                                # (B, K): W_0 x*_j
        gram = X @ X.t()                                             # (B, B): x*_i . x*_j
        targets = eye[labels[idx]]                                   # (B, n_classes)
        A = torch.ones(K, device=dev)
        C = torch.zeros(B, K, device=dev)
        chunk_winners = []
        for j in range(B):
            t = t0 + j
            u = G[j] * A                                             # (K,) u_j = W_j x*_j
            if j:
                u.addmv_(C[:j].t(), gram[j, :j])
            if cfg.hard:
                k = u.argmax()
                y = torch.zeros(K, device=dev).index_fill_(0, k, 1.0)
            else:
                logits = torch.add(beta, u, alpha=ln_b)             # ln b u + beta
                k = logits.argmax()
                y = torch.softmax(logits, dim=0)                     # (K,)
            chunk_winners.append(k)
            lr = lr_at(cfg, t, T)
            a = (y * u).mul_(-lr).add_(1.0)                          # (K,) 1 - eta y u: row scaling of Eq. 9
            A.mul_(a)
            if j:
                C[:j].mul_(a)
            torch.mul(y, lr, out=C[j])                               # eta y: the outer-product coefficient
            if cfg.learn_prior:                                      # rules.prior_update, in place
                eta_b = cfg.prior_lr_factor * lr
                torch.log(q.mul_(1.0 - eta_b).add_(y, alpha=eta_b), out=beta)
            # readout.delta_rule_step, in place: dV = eta2 (t - softmax(V y + c)) y^T, dc = eta2 (t - softmax(V y + c))
            err = targets[j] - torch.softmax(torch.addmv(c, V, y), dim=0)  # (n_classes,)
            V.addr_(err, y, alpha=delta_lr)
            c.add_(err, alpha=delta_lr)
        win[t0:t1] = torch.stack(chunk_winners)
        W.mul_(A.unsqueeze(1)).addmm_(C.t(), X)                      # W_B = diag(A) W_0 + C^T X
        t0 = t1

    layer = SoftWTA(n, K, cfg.base)
    layer.weight.copy_(W.cpu())
    layer.log_prior.copy_(beta.cpu())
    return OnlineRun(layer=layer, delta_weight=V.cpu(), delta_bias=c.cpu(), steps=steps, weights=weights,
                     log_priors=log_priors, winners=win.cpu(), log=log, seconds=time.perf_counter() - started)


# ------------------------------------------------------------------------------------ read-outs, curves


def linear_readout_model(layer: SoftWTA, weight: torch.Tensor, bias: torch.Tensor,
                         input_scale: float = 1.0) -> FeatureClassifier:
    """``FeatureClassifier(layer)`` whose linear layer is (weight, bias): e.g. the delta-rule classifier (V, c)
    of an online pass, or a greedy classifier put on top of a checkpoint's layer (A.9 step c2)."""
    n_classes, k = weight.shape
    model = FeatureClassifier(layer, k, n_classes, input_scale)
    with torch.no_grad():
        model.classifier.weight.copy_(weight)
        model.classifier.bias.copy_(bias)
    return model.eval()


def checkpoint_layer(run: OnlineRun, i: int) -> SoftWTA:
    """The layer as it was at checkpoint ``run.steps[i]`` (weights and log-prior)."""
    layer = SoftWTA(run.layer.n_in, run.layer.K, run.layer.base)
    layer.weight.copy_(run.weights[i])
    layer.log_prior.copy_(run.log_priors[i])
    return layer


def posthoc_cross_entropy(run: OnlineRun, classifier: torch.nn.Linear, images: torch.Tensor, labels: torch.Tensor,
                          *, batch_size: int = 1000, input_scale: float = 1.0) -> list[float]:
    """A.9: H^L(t) = -mean_x log Q2(label | y_t(x)) at every checkpoint t of ``run``, with ``classifier`` = the
    greedy read-out Q2 trained on the FINAL layer (fixed, with its ``input_scale``) and y_t the features of the
    checkpoint's layer."""
    w, b = classifier.weight.detach().cpu(), classifier.bias.detach().cpu()
    return [mean_loss(linear_readout_model(checkpoint_layer(run, i), w, b, input_scale), images, labels, device="cpu",
                      batch_size=batch_size) for i in range(len(run.steps))]


def first_step_reaching(steps: Sequence[int], values: Sequence[float], threshold: float) -> int | None:
    """The first checkpoint iteration whose value is >= threshold (None if none is): e.g. R1 >= K/2 (Fig. 4d)."""
    return next((t for t, v in zip(steps, values) if v >= threshold), None)


# ------------------------------------------------------------------------- config -> runs, result paths


def online_mlp_kwargs(sh: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """``train_mlp`` arguments of MLP-1ep: Table 1's 1-epoch back-propagation column (SGD, lr 0.2, batch 4), one
    epoch, ReLU hidden layer of ``softhebb.mlp.hidden`` units."""
    column = sh["table1"]["epoch_1"]["backprop"]
    return {"hidden": sh["mlp"]["hidden"], "activation": "relu", "optimizer": column["optimizer"],
            "lr": column["lr0"], "batch_size": column["batch_size"], "epochs": 1, "seed": seed}


def online_variants(sh: Mapping[str, Any]) -> list[str]:
    """Every online model: the configured SoftHebb variants, then hard WTA."""
    return [*sh["online"]["variants"], HARD_WTA]


def _online_common(sh: Mapping[str, Any]) -> dict[str, Any]:
    online = sh["online"]
    return {"n_train": online["n_train"], "n_test": online["n_test"], "n_test_curve": online["n_test_curve"],
            "checkpoints": list(online["checkpoints"])}


def online_wta_rule_params(sh: Mapping[str, Any], wildcards: Any) -> dict[str, Any]:
    """``params.cfg`` of rule sh_online_wta: everything that defines the run, so Snakemake reruns what changed."""
    run = online_wta_config(sh, wildcards.dataset, wildcards.online_variant, int(wildcards.seed))
    return {"wta_config": run.to_dict(), "delta_lr": sh["online"]["delta_lr"], "chunk": sh["online"]["chunk"],
            "readout": dict(sh["readout"]), **_online_common(sh)}


def online_mlp_rule_params(sh: Mapping[str, Any], wildcards: Any) -> dict[str, Any]:
    """``params.cfg`` of rule sh_online_mlp."""
    return {"mlp_kwargs": online_mlp_kwargs(sh, int(wildcards.seed)), **_online_common(sh)}


# (arguments may be Snakemake wildcard placeholders such as "{dataset}": rules and specs share these names)
def online_wta_result(dataset: str, variant: str, seed: int | str) -> str:
    return rel_model("softhebb", f"{dataset}/online_wta_{variant}_s{seed}")


def online_mlp_result(dataset: str, seed: int | str) -> str:
    return rel_model("softhebb", f"{dataset}/online_mlp_s{seed}")


# ------------------------------------------------------------------------------------- notebook helpers


def load_result(path: Any) -> dict[str, Any]:
    """A cached online result (``sh_online_wta`` / ``sh_online_mlp`` payload) on the CPU."""
    return torch.load(path, map_location="cpu", weights_only=False)


def clean_summary_lines(wta: Mapping[str, Mapping[str, Any]], mlp_acc: float | None, K: int,
                        default_variant: str) -> list[str]:
    """The text every online figure shows beside it: clean accuracies and how many neurons ever win.

    ``wta``: model name -> metrics of its first-seed run (``payload["metrics"]``); ``mlp_acc`` in [0, 1].
    """
    lines = ["clean MNIST test accuracy (%)", "greedy / delta rule / 1-layer", ""]
    for name, m in wta.items():
        label = f"{name} (default)" if name == default_variant else name
        lines += [label,
                  f"  {100 * m['greedy_acc']:.2f} / {100 * m['delta_acc']:.2f} / {100 * m['one_layer_acc']:.2f}",
                  f"  win: {m['winners_online']}/{K} online, {m['winners_test']}/{K} test"]
    if mlp_acc is not None:
        lines += ["", f"MLP-1ep (BP): {100 * mlp_acc:.2f}"]
    return lines
