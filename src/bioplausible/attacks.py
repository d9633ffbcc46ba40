"""The one attack interface every paper uses, backed by foolbox 3's public API (3.3.4).

Contract for models (DESIGN.md, "Devices and attacks"):

- inputs are images in [0, 1] (uint8 tensors are accepted and divided by 255 per batch on the device);
  any normalisation (mean/std) belongs *inside* the model, so foolbox's bounds are simply (0, 1);
- the model returns logits or log-probabilities. foolbox's gradient attacks maximise
  ``crossentropy(model(x), y)``, which applies a log-softmax to the model output; a head that returns
  probabilities must be wrapped in :class:`LogProbWrapper`;
- the model must already be on ``device``; it is put in eval mode for the attack and its flags are restored.

Restarts. ``restarts`` independent runs, restart ``r`` seeded with ``restart_seed(seed, r)``
(``torch.manual_seed`` inside ``torch.random.fork_rng``, so the caller's RNG stream is untouched). An image
is robust at epsilon only if it is classified correctly AND survives every restart:
``robust = clean_correct & ~success_0 & ~success_1 & ...``. We loop ourselves instead of foolbox's
``attack.repeat(n)``: ``Repeated.__call__`` (foolbox/attacks/base.py) ORs the success flags, the same
semantics, but draws all restarts from one RNG stream and does not report per-restart results.

Randomness. PGD's random start draws from torch's global generator on the attack device
(eagerpy ``uniform``/``normal`` call ``torch.rand``/``torch.randn``), so results are deterministic for a given
(seed, batch_size, device type) but CPU and CUDA runs differ. Each epsilon is a separate attack run, so a
weak attack can give a non-monotone curve; none is forced.

Side effects of foolbox that this module contains: ``fb.PyTorchModel`` calls ``model.to(device)``, and
eagerpy computes input gradients with ``loss.backward()``, which would also accumulate ``.grad`` in every
parameter; parameters are therefore frozen (``requires_grad=False``) during an attack and restored after.
"""

from __future__ import annotations

import dataclasses
import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from .training.evaluate import (as_device, as_float01, check_batch_inputs, check_model_device, check_unit_range,
                                eval_mode, predict)

PGD = ("linf_pgd", "l2_pgd")
MINIMIZATION = ("l2_cw", "l2_deepfool", "linf_deepfool")
ATTACKS = PGD + ("fgsm",) + MINIMIZATION
LINF = ("linf_pgd", "fgsm", "linf_deepfool")

# foolbox 3.3.4 defaults (L2CarliniWagnerAttack, L2/LinfDeepFoolAttack)
_CW_DEFAULTS = {"cw_binary_search_steps": 9, "cw_stepsize": 1e-2, "cw_confidence": 0.0,
                "cw_initial_const": 1e-3, "cw_abort_early": True}
_DF_DEFAULTS = {"df_candidates": 10, "df_overshoot": 0.02, "df_loss": "logits"}
_DEFAULT_STEPS = {"l2_cw": 10000, "l2_deepfool": 50, "linf_deepfool": 50}


class AttackConfigError(ValueError):
    """An attack config field is missing, unknown or inconsistent; the message names the field."""


@dataclass(frozen=True)
class AttackConfig:
    """Everything that defines an attack run. Epsilons are in [0, 1] pixel units (L2: the L2 norm of the
    perturbation of the [0, 1] image, so it may exceed 1).

    PGD (``linf_pgd``, ``l2_pgd``): ``steps`` and exactly one of ``rel_stepsize`` (times epsilon) or
    ``abs_stepsize`` are required -- foolbox's implicit defaults (40 steps of 0.01/0.3·ε for L∞) are the usual
    reason PGD numbers disagree between papers. ``random_start`` defaults to foolbox's (True).
    ``fgsm``: one step of size ε; ``steps``/stepsizes must not be set; ``random_start`` defaults to False.
    ``l2_cw``, ``l2_deepfool``, ``linf_deepfool``: minimisation attacks, deterministic; ``steps`` defaults to
    foolbox's (10000 for CW, 50 for DeepFool); ``cw_*`` / ``df_*`` fields are foolbox's arguments with its
    defaults and may only be changed for the attack they belong to.
    ``restarts`` > 1 is only allowed for an attack with a random start (otherwise every restart is identical).
    """

    name: str
    epsilons: tuple[float, ...]
    steps: int | None = None
    rel_stepsize: float | None = None
    abs_stepsize: float | None = None
    restarts: int = 1
    random_start: bool | None = None
    cw_binary_search_steps: int = 9
    cw_stepsize: float = 1e-2
    cw_confidence: float = 0.0
    cw_initial_const: float = 1e-3
    cw_abort_early: bool = True
    df_candidates: int | None = 10
    df_overshoot: float = 0.02
    df_loss: str = "logits"

    def __post_init__(self) -> None:
        if self.name not in ATTACKS:
            raise AttackConfigError(f"attack field 'name': {self.name!r} is not one of {', '.join(ATTACKS)}")
        if isinstance(self.epsilons, (str, bytes)) or not isinstance(self.epsilons, Sequence):
            raise AttackConfigError(f"attack field 'epsilons' must be a list of floats, got {self.epsilons!r}")
        eps = tuple(float(e) for e in self.epsilons)
        object.__setattr__(self, "epsilons", eps)
        if not eps:
            raise AttackConfigError("attack field 'epsilons' is empty")
        upper = 1.0 if self.name in LINF else math.inf
        bad = [e for e in eps if not (0.0 <= e <= upper)]
        if bad:
            raise AttackConfigError(f"attack field 'epsilons': {bad} outside [0, {upper}] for {self.name}")
        _check_int(self.restarts, "restarts", minimum=1)
        if self.random_start is not None and not isinstance(self.random_start, bool):
            raise AttackConfigError(f"attack field 'random_start' must be true/false, got {self.random_start!r}")

        if self.name in PGD:
            _check_int(self.steps, "steps", minimum=1, why=f"{self.name} needs an explicit number of steps")
            given = [f for f in ("rel_stepsize", "abs_stepsize") if getattr(self, f) is not None]
            if len(given) != 1:
                raise AttackConfigError(
                    f"{self.name}: set exactly one of attack fields 'rel_stepsize' and 'abs_stepsize' "
                    f"(got {'both' if given else 'neither'})"
                )
            value = getattr(self, given[0])
            if not (isinstance(value, (int, float)) and value > 0):
                raise AttackConfigError(f"attack field {given[0]!r} must be a positive number, got {value!r}")
        else:
            fixed = ("steps", "rel_stepsize", "abs_stepsize") if self.name == "fgsm" else ("rel_stepsize",
                                                                                       "abs_stepsize")
            for f in fixed:
                if getattr(self, f) is not None:
                    raise AttackConfigError(f"attack field {f!r} does not apply to {self.name}")
            if self.name in MINIMIZATION:
                if self.random_start is not None:
                    raise AttackConfigError(f"attack field 'random_start' does not apply to {self.name}")
                if self.steps is not None:
                    _check_int(self.steps, "steps", minimum=1)
        for defaults, owners in ((_CW_DEFAULTS, ("l2_cw",)), (_DF_DEFAULTS, ("l2_deepfool", "linf_deepfool"))):
            if self.name not in owners:
                changed = sorted(k for k, v in defaults.items() if getattr(self, k) != v)
                if changed:
                    raise AttackConfigError(f"attack field(s) {changed} only apply to {', '.join(owners)}")
        if self.df_loss not in ("logits", "crossentropy"):
            raise AttackConfigError(f"attack field 'df_loss': {self.df_loss!r} is not 'logits' or 'crossentropy'")
        if self.restarts > 1 and not self.is_random:
            raise AttackConfigError(
                f"attack field 'restarts' is {self.restarts} but {self.name} without a random start is "
                "deterministic, so every restart would be identical; set restarts: 1"
            )

    @property
    def is_random(self) -> bool:
        if self.name in MINIMIZATION:
            return False
        if self.random_start is not None:
            return self.random_start
        return self.name in PGD  # foolbox: PGD starts randomly, FGSM does not

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> "AttackConfig":
        """Build from a config mapping; unknown keys are an error that names them."""
        fields = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(mapping) - set(fields))
        if unknown:
            raise AttackConfigError(f"unknown attack config key(s) {unknown}; allowed: {fields}")
        missing = [k for k in ("name", "epsilons") if k not in mapping]
        if missing:
            raise AttackConfigError(f"attack config is missing required key(s) {missing}")
        return cls(**dict(mapping))

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (for provenance and ``io.params_hash``)."""
        d = dataclasses.asdict(self)
        d["epsilons"] = list(self.epsilons)
        return d


def _check_int(value: Any, field: str, *, minimum: int, why: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise AttackConfigError(f"attack field {field!r} must be an int >= {minimum}, got {value!r}"
                                + (f" ({why})" if why else ""))


def make_attack(cfg: AttackConfig) -> Any:
    """The foolbox attack object a config describes (public ``foolbox.attacks`` classes only)."""
    import foolbox as fb

    if cfg.name in PGD:
        cls = fb.attacks.LinfPGD if cfg.name == "linf_pgd" else fb.attacks.L2PGD
        kwargs: dict[str, Any] = {"steps": cfg.steps, "random_start": cfg.is_random}
        if cfg.abs_stepsize is not None:
            kwargs["abs_stepsize"] = cfg.abs_stepsize
        else:
            kwargs["rel_stepsize"] = cfg.rel_stepsize
        return cls(**kwargs)
    if cfg.name == "fgsm":
        return fb.attacks.FGSM(random_start=cfg.is_random)
    steps = cfg.steps if cfg.steps is not None else _DEFAULT_STEPS[cfg.name]
    if cfg.name == "l2_cw":
        return fb.attacks.L2CarliniWagnerAttack(
            binary_search_steps=cfg.cw_binary_search_steps, steps=steps, stepsize=cfg.cw_stepsize,
            confidence=cfg.cw_confidence, initial_const=cfg.cw_initial_const, abort_early=cfg.cw_abort_early,
        )
    cls = fb.attacks.L2DeepFoolAttack if cfg.name == "l2_deepfool" else fb.attacks.LinfDeepFoolAttack
    return cls(steps=steps, candidates=cfg.df_candidates, overshoot=cfg.df_overshoot, loss=cfg.df_loss)


def restart_seed(seed: int, restart: int) -> int:
    """Torch seed of restart ``restart`` of a run with ``seed`` (distinct across (seed, restart) pairs)."""
    return int(np.random.SeedSequence([int(seed), int(restart)]).generate_state(1, dtype=np.uint64)[0] >> 1)


class LogProbWrapper(nn.Module):
    """Turn a model that outputs probabilities into one that outputs log-probabilities.

    foolbox's gradient attacks maximise ``crossentropy(model(x), y)``, i.e. they apply a log-softmax to
    whatever the model returns. Fed probabilities p in [0, 1], log_softmax(p) is almost uniform and its
    gradients are squashed, so the attack is weakened for no reason. For log-probabilities,
    log_softmax(log p) = log p - log(sum p) = log p, so the loss equals cross-entropy on the underlying
    logits and the arg-max (hence the misclassification criterion) is unchanged. Probabilities are
    clamped at the dtype's smallest normal number so that a zero does not give -inf.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.model(x)  # (batch, n_classes), rows sum to 1
        return torch.log(p.clamp_min(torch.finfo(p.dtype).tiny))


@contextmanager
def _attack_context(model: nn.Module) -> Iterator[None]:
    """Eval mode and frozen parameters (so foolbox's ``loss.backward()`` leaves no ``.grad``); both restored."""
    flags = [(p, p.requires_grad) for p in model.parameters()]
    with eval_mode(model):
        for p, _ in flags:
            p.requires_grad_(False)
        try:
            yield
        finally:
            for p, req in flags:
                p.requires_grad_(req)


def _fork_rng(device: torch.device) -> Any:
    devices = [device.index if device.index is not None else torch.cuda.current_device()] \
        if device.type == "cuda" else []
    return torch.random.fork_rng(devices=devices)


def _prepare(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, device: str | torch.device,
             batch_size: int) -> torch.device:
    dev = as_device(device)
    check_model_device(model, dev)
    check_batch_inputs(images, labels, batch_size, purpose="attack")
    check_unit_range(images)
    return dev


def _restart_batches(restarts: int, n: int, batch_size: int, seed: int, device: torch.device):
    """Yield ``(restart, batch slice)``; each restart runs under its own seed in a forked RNG state."""
    for r in range(restarts):
        with _fork_rng(device):
            torch.manual_seed(restart_seed(seed, r))
            for start in range(0, n, batch_size):
                yield r, slice(start, min(start + batch_size, n))


def robust_accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, cfg: AttackConfig, *,
                    device: str | torch.device, batch_size: int, seed: int) -> dict[str, Any]:
    """Clean and robust accuracy of ``model`` under the attack ``cfg``, batched over images.

    Returns a dict:
      ``attack`` (cfg.as_dict()), ``epsilons`` (list), ``n`` (N),
      ``clean_accuracy`` (float), ``robust_accuracy`` (list of floats, one per epsilon),
      ``clean_correct`` (bool (N,)), ``robust`` (bool (n_eps, N)), ``robust_per_restart``
      (bool (restarts, n_eps, N), each already ANDed with ``clean_correct``); tensors on the CPU.
    ``robust`` is the AND over restarts (see the module docstring). Deterministic for a given seed.
    """
    import foolbox as fb

    dev = _prepare(model, images, labels, device, batch_size)
    labels = labels.long()
    clean_correct = predict(model, images, device=dev, batch_size=batch_size) == labels.cpu()
    attack = make_attack(cfg)
    eps = list(cfg.epsilons)
    n = len(images)
    per_restart = torch.zeros(cfg.restarts, len(eps), n, dtype=torch.bool)
    with _attack_context(model):
        fmodel = fb.PyTorchModel(model, bounds=(0, 1), device=dev)
        for r, sl in _restart_batches(cfg.restarts, n, batch_size, seed, dev):
            x = as_float01(images[sl], dev)
            y = labels[sl].to(dev)
            _, _, success = attack(fmodel, x, y, epsilons=eps)  # success: (n_eps, batch) bool
            per_restart[r, :, sl] = ~success.cpu()
    per_restart &= clean_correct  # an image misclassified clean is never robust
    robust = per_restart.all(dim=0)
    return {
        "attack": cfg.as_dict(),
        "epsilons": eps,
        "n": n,
        "clean_accuracy": clean_correct.float().mean().item(),
        "robust_accuracy": robust.float().mean(dim=1).tolist(),
        "clean_correct": clean_correct,
        "robust": robust,
        "robust_per_restart": per_restart,
    }


def targeted_attack(model: nn.Module, images: torch.Tensor, targets: torch.Tensor, cfg: AttackConfig, *,
                    device: str | torch.device, batch_size: int, seed: int) -> dict[str, Any]:
    """Targeted PGD (``cfg.name`` ``linf_pgd`` or ``l2_pgd``) with ``fb.criteria.TargetedMisclassification``.

    Returns ``epsilons``, ``adversarial`` (float (n_eps, N, *image shape), clipped to the epsilon ball and
    [0, 1], CPU) and ``success`` (bool (n_eps, N): the model assigns the target class). With restarts an
    image succeeds if any restart does, and its adversarial is taken from the first restart that succeeded
    (the last restart's if none did). An image already classified as its target counts as a success.
    """
    import foolbox as fb

    if cfg.name not in PGD:
        raise AttackConfigError(f"targeted_attack needs attack field 'name' in {PGD}, got {cfg.name!r}")
    dev = _prepare(model, images, targets, device, batch_size)
    targets = targets.long()
    attack = make_attack(cfg)
    eps = list(cfg.epsilons)
    n = len(images)
    success = torch.zeros(len(eps), n, dtype=torch.bool)
    adversarial = torch.zeros(len(eps), *images.shape, dtype=torch.float32)
    with _attack_context(model):
        fmodel = fb.PyTorchModel(model, bounds=(0, 1), device=dev)
        for r, sl in _restart_batches(cfg.restarts, n, batch_size, seed, dev):
            x = as_float01(images[sl], dev)
            criterion = fb.criteria.TargetedMisclassification(targets[sl].to(dev))
            _, clipped, ok = attack(fmodel, x, criterion, epsilons=eps)
            ok = ok.cpu()
            last = r == cfg.restarts - 1
            for k in range(len(eps)):
                # first success wins; the last restart also fills images that never succeeded
                take = ~success[k, sl] & (ok[k] | last)
                adversarial[k, sl][take] = clipped[k].detach().float().cpu()[take]
            success[:, sl] |= ok
    return {"attack": cfg.as_dict(), "epsilons": eps, "adversarial": adversarial, "success": success}


@torch.no_grad()
def gaussian_noise_accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                            sigmas: Sequence[float], *, seed: int, device: str | torch.device,
                            batch_size: int) -> dict[str, Any]:
    """Accuracy under additive N(0, sigma^2) pixel noise, clipped to [0, 1], for each sigma.

    The same standard-normal draw z is used for every sigma (x + sigma·z, common random numbers), so
    sigma = 0 is exactly the clean accuracy and the curve is not jagged from resampling. z comes from a
    CPU ``torch.Generator`` seeded with ``seed`` (then moved to the device), so CPU and CUDA see the same
    noise; it is drawn batch by batch, so it depends on ``batch_size``. Returns ``sigmas``, ``accuracy``
    (list) and ``correct`` (bool (n_sigma, N), CPU).
    """
    sig = [float(s) for s in sigmas]
    if not sig or any(not (s >= 0.0 and math.isfinite(s)) for s in sig):
        raise ValueError(f"sigmas must be a non-empty list of finite numbers >= 0, got {list(sigmas)}")
    dev = _prepare(model, images, labels, device, batch_size)
    gen = torch.Generator().manual_seed(int(seed))
    n = len(images)
    correct = torch.zeros(len(sig), n, dtype=torch.bool)
    with eval_mode(model):
        for start in range(0, n, batch_size):
            sl = slice(start, min(start + batch_size, n))
            x = as_float01(images[sl], dev)
            z = torch.randn(x.shape, generator=gen, dtype=x.dtype).to(dev)
            y = labels[sl].to(dev).long()
            for k, s in enumerate(sig):
                pred = model((x + s * z).clamp_(0.0, 1.0)).argmax(dim=-1)
                correct[k, sl] = (pred == y).cpu()
    return {"sigmas": sig, "accuracy": correct.float().mean(dim=1).tolist(), "correct": correct}


# --- plain-torch L-inf PGD with a selectable loss ----------------------------------------------------------
PGD_LOSSES = ("crossentropy", "margin")


def margin_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Logit-difference (margin) loss per example: ``max_{j != y} z_j - z_y``, shape (batch,).

    Positive exactly when some wrong class outscores the true one. Unlike cross-entropy it does not pass
    through a softmax, so it does not saturate: for a confidently classified image ``d CE / d z`` is
    ``softmax(z) - onehot(y)``, which underflows to exactly 0 in float32 once the true class's probability
    rounds to 1, while ``d margin / d z`` is always ``onehot(j*) - onehot(y)``.
    """
    z_y = logits.gather(1, labels[:, None]).squeeze(1)  # (batch,)
    others = logits.scatter(1, labels[:, None], float("-inf"))  # the true class can never be the max
    return others.amax(dim=1) - z_y


def attack_loss(logits: torch.Tensor, labels: torch.Tensor, loss: str) -> torch.Tensor:
    """Per-example loss the untargeted attack ascends: ``crossentropy`` (foolbox's) or ``margin``."""
    if loss == "crossentropy":
        return torch.nn.functional.cross_entropy(logits, labels, reduction="none")
    if loss == "margin":
        return margin_loss(logits, labels)
    raise AttackConfigError(f"PGD loss {loss!r} is not one of {', '.join(PGD_LOSSES)}")


def zero_input_gradient(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, loss: str,
                        device: str | torch.device, batch_size: int) -> torch.Tensor:
    """bool (N,): the input gradient of ``loss`` (see :func:`attack_loss`) is exactly zero at the clean image.

    A sign-gradient attack cannot move such an image (``sign(0) = 0``), so it looks robust without being
    so: the symptom of gradient masking by a saturated softmax (cross-entropy) or saturated hidden layer.
    """
    dev = _prepare(model, images, labels, device, batch_size)
    labels = labels.long()
    zero = torch.zeros(len(images), dtype=torch.bool)
    with _attack_context(model):
        for start in range(0, len(images), batch_size):
            sl = slice(start, min(start + batch_size, len(images)))
            x = as_float01(images[sl], dev).clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(attack_loss(model(x), labels[sl].to(dev), loss).sum(), x)
            zero[sl] = (grad.reshape(len(grad), -1).abs().amax(dim=1) == 0).cpu()
    return zero


def _check_pgd_args(epsilons: Sequence[float], steps: int, rel_stepsize: float, loss: str, restarts: int,
                    record_steps: Sequence[int] | None) -> tuple[list[float], list[int]]:
    eps = [float(e) for e in epsilons]
    if not eps or any(not (0.0 <= e <= 1.0) for e in eps):
        raise AttackConfigError(f"linf_pgd 'epsilons' must be a non-empty list in [0, 1], got {list(epsilons)}")
    _check_int(steps, "steps", minimum=1)
    _check_int(restarts, "restarts", minimum=1)
    if isinstance(rel_stepsize, bool) or not isinstance(rel_stepsize, (int, float)) or not rel_stepsize > 0:
        raise AttackConfigError(f"attack field 'rel_stepsize' must be a positive number, got {rel_stepsize!r}")
    if loss not in PGD_LOSSES:
        raise AttackConfigError(f"attack field 'loss': {loss!r} is not one of {', '.join(PGD_LOSSES)}")
    record = [steps] if record_steps is None else sorted(set(record_steps))
    bad = [s for s in record if isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= steps]
    if not record or bad:
        raise AttackConfigError(f"'record_steps' must be step counts in [1, steps={steps}], got {record_steps!r}")
    if record[-1] != steps:
        raise AttackConfigError(f"'record_steps' {record} must include steps={steps} (the run would go on past "
                                "its last recorded step for nothing)")
    return eps, record


def linf_pgd(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, epsilons: Sequence[float],
             steps: int, rel_stepsize: float, loss: str = "crossentropy", restarts: int = 1,
             random_start: bool = True, record_steps: Sequence[int] | None = None, seed: int,
             device: str | torch.device, batch_size: int, return_adversarial: bool = False) -> dict[str, Any]:
    """Untargeted L-inf PGD in plain torch: foolbox 3.3.4's ``LinfPGD`` update with a selectable loss.

    foolbox (``attacks/gradient_descent_base.py``, ``BaseGradientDescent.run`` with the L-inf
    ``get_random_start`` / ``normalize`` / ``project``), for one epsilon:

        x_0 = clip_[0,1](x + U(-eps, eps))                       (random start; x_0 = x without it)
        x_{t+1} = clip_[0,1](x + clip_[-eps,eps](x_t + alpha * sign(grad_x L(x_t, y)) - x))
        alpha = rel_stepsize * eps

    and the final iterate x_T is returned (not the best one); success = the model misclassifies
    ``x + clip_[-eps,eps](x_T - x)`` (``FixedEpsilonAttack.__call__``). ``loss`` is foolbox's
    ``crossentropy`` (``ep.crossentropy(logits, y).sum()``) or ``margin`` (:func:`margin_loss`).

    The step size ``alpha = rel_stepsize * eps`` does not depend on ``steps`` (foolbox computes it from
    ``rel_stepsize`` and ``epsilon`` alone, ``stepsize = self.rel_stepsize * epsilon``), and the random
    start is drawn before the first step, so with the same seed the first n iterates of an N-step run are
    exactly the iterates of an n-step run. ``record_steps`` uses this: the accuracy after each listed step
    count (each in [1, ``steps``], the largest = ``steps``; by default only ``steps``) comes from ONE run of
    ``steps`` steps, and equals that of a separate run with that many steps.

    Batching: every epsilon of a batch of ``batch_size`` images is attacked in one tensor
    (``n_eps * batch_size`` rows per forward pass). Randomness follows :func:`robust_accuracy`: restart r
    runs under ``restart_seed(seed, r)`` in a forked RNG state, and per batch the random start is one
    ``torch.rand((n_eps, batch, ...))`` draw -- on the CPU the same numbers foolbox draws for that batch, one
    epsilon after another, so the CE loop starts where foolbox's does (gradients may still differ in the
    last bit with the batch shape). eps = 0 rows are not attacked (PGD cannot move them): they are the
    clean prediction. An image is robust only if it is classified correctly clean AND under every restart.

    Returns ``epsilons``, ``steps``, ``rel_stepsize``, ``loss``, ``restarts``, ``record_steps`` (list),
    ``n``, ``clean_accuracy``, ``clean_correct`` (bool (N,)), ``robust`` (bool (n_record, n_eps, N), AND over
    restarts), ``robust_accuracy`` (list of n_record lists of n_eps floats), ``robust_per_restart`` (bool
    (restarts, n_record, n_eps, N)) and ``zero_gradient`` (bool (n_eps, N): the loss gradient was exactly
    zero at every step of every restart, so the attack never moved the image from its random start).
    With ``return_adversarial`` also ``adversarial`` (float (n_eps, N, ...), CPU): the last restart's final
    iterate clipped to the epsilon ball, i.e. foolbox's ``clipped`` output (eps = 0: the clean image).
    """
    eps, record = _check_pgd_args(epsilons, steps, rel_stepsize, loss, restarts, record_steps)
    dev = _prepare(model, images, labels, device, batch_size)
    labels = labels.long()
    clean_correct = predict(model, images, device=dev, batch_size=batch_size) == labels.cpu()
    n, n_eps = len(images), len(eps)
    active = [k for k, e in enumerate(eps) if e > 0]
    slot = {s: i for i, s in enumerate(record)}
    per_restart = torch.zeros(restarts, len(record), n_eps, n, dtype=torch.bool)
    moved = torch.zeros(n_eps, n, dtype=torch.bool)  # a non-zero gradient at some step
    adversarial = torch.zeros(n_eps, *images.shape, dtype=torch.float32) if return_adversarial else None
    with _attack_context(model):
        for r, sl in _restart_batches(restarts, n, batch_size, seed, dev):
            x0 = as_float01(images[sl], dev)  # (B, ...)
            y = labels[sl].to(dev)
            b, shape = len(x0), x0.shape[1:]
            noise = torch.rand((n_eps, *x0.shape), dtype=x0.dtype, device=dev) if random_start else None
            per_restart[r, :, :, sl] = clean_correct[sl]  # eps = 0 rows; attacked rows are overwritten below
            if adversarial is not None:
                adversarial[:, sl] = x0.float().cpu()
            if not active:
                continue
            a = len(active)
            bcast = (a, 1) + (1,) * len(shape)
            e = torch.tensor([eps[k] for k in active], dtype=x0.dtype, device=dev).view(bcast)
            # foolbox multiplies in Python floats, then the product meets the float32 tensor
            alpha = torch.tensor([rel_stepsize * eps[k] for k in active], dtype=x0.dtype, device=dev).view(bcast)
            xs0 = x0.unsqueeze(0).expand(a, *x0.shape)  # (A, B, ...)
            x = (xs0 + (noise[active] * (2 * e) - e)).clamp(0.0, 1.0) if random_start else xs0
            yy = y.repeat(a)
            for t in range(1, steps + 1):
                xr = x.reshape(a * b, *shape).detach().requires_grad_(True)
                (grad,) = torch.autograd.grad(attack_loss(model(xr), yy, loss).sum(), xr)
                grad = grad.view(a, b, *shape)
                moved[active, sl] |= (grad.reshape(a, b, -1).abs().amax(dim=2) > 0).cpu()
                x = xs0 + torch.clamp(x + alpha * grad.sign() - xs0, -e, e)
                x = x.clamp(0.0, 1.0)
                if t in slot:
                    xc = xs0 + torch.clamp(x - xs0, -e, e)  # foolbox's clip_perturbation before the check
                    with torch.no_grad():
                        pred = model(xc.reshape(a * b, *shape)).argmax(dim=-1).view(a, b)
                    per_restart[r, slot[t], active, sl] = (pred == y).cpu()
                    if adversarial is not None and t == steps:
                        adversarial[active, sl] = xc.detach().float().cpu()
    per_restart &= clean_correct  # an image misclassified clean is never robust
    robust = per_restart.all(dim=0)
    zero_gradient = ~moved
    zero_gradient[[k for k, e in enumerate(eps) if e == 0]] = False
    return {
        "epsilons": eps, "steps": steps, "rel_stepsize": float(rel_stepsize), "loss": loss, "restarts": restarts,
        "random_start": random_start, "record_steps": record, "n": n,
        "clean_accuracy": clean_correct.float().mean().item(), "clean_correct": clean_correct,
        "robust": robust, "robust_accuracy": robust.float().mean(dim=2).tolist(),
        "robust_per_restart": per_restart, "zero_gradient": zero_gradient,
        **({"adversarial": adversarial} if adversarial is not None else {}),
    }
