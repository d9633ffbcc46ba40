"""Targeted, multi-step, raw-gradient L2 attack with projection (plain torch; not a stock foolbox attack).

The attack of "Learning with Plasticity Rules" (Sec. 4, App. C.3; catalog A7, Amb. 7 and 15), generic over any
``nn.Module`` that maps [0, 1] images to logits. For a clean image x0 with label y, every target y' != y and
one radius eps:

    x^0 = x0                                                   (no random start)
    x^{t+1} = clip_[0,1]( x0 + P_eps( x^t - alpha * grad_x L(x^t, y') - x0 ) ),   t = 0 .. steps-1
    P_eps(d) = d * min(1, eps / ||d||_2)                        (L2-ball projection, then the box clip)

with the RAW gradient (neither its sign nor its normalisation) of the targeted loss L:

    loss="logits":  L = -log softmax(z)_{y'}           (cross-entropy on the logits; catalog default)
    loss="probs":   L = -log softmax(softmax(z))_{y'}   (the authors' code's double softmax, Amb. 7)

Success: ANY iterate x^t (t >= 1) with argmax z(x^t) != y, for any of the targets (an untargeted criterion reached
by targeted attacks: "if any of the nine resulting perturbations become misclassified ... count the original image
as misclassified"). A clean error is never robust. The projection order (L2 first, then the box) gives a feasible
point of the intersection, not its exact Euclidean projection (catalog A7 accepts this).

Batching and early exit: the rows of one forward pass are (image, target) pairs, ``batch_size`` images x
(n_classes - 1) targets; as soon as one row of an image is misclassified the image is fooled and all its rows
leave the batch. The success check of iterate x^t uses the logits of the forward pass that also gives the
gradient at x^t, so a step costs one forward and one backward (plus one forward for the last iterate).

Several radii (``epsilons``, ascending): with ``nested=True`` an image fooled at a radius is counted fooled at
every larger radius without being attacked again -- exact, not an approximation: the adversarial point found
lies in every larger ball and in the box, so the image is not robust there either. Only the survivors are
attacked at the next radius, and the first radius that fools an image is its *minimal fooling eps on the grid*
(kept with its adversarial image, for Fig. 5). With ``nested=False`` every radius is attacked independently.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch
from torch import nn

from .training.evaluate import as_device, check_batch_inputs, check_model_device, check_unit_range, eval_mode

L2_LOSSES = ("logits", "probs")


def l2_project_clip(v: torch.Tensor, x0: torch.Tensor, eps: float | torch.Tensor) -> torch.Tensor:
    """clip_[0,1](x0 + P_eps(v - x0)) row-wise (rows = first dimension): the L2-ball projection around x0, then
    the [0, 1] box. ``eps`` is a float or a tensor broadcastable to (rows, 1)."""
    delta = (v - x0).reshape(len(v), -1)
    norm = delta.norm(dim=1, keepdim=True)
    eps_t = torch.as_tensor(eps, dtype=delta.dtype, device=delta.device).reshape(-1, 1)
    factor = torch.where(norm > eps_t, eps_t / norm.clamp_min(torch.finfo(delta.dtype).tiny), torch.ones_like(norm))
    return (x0 + (delta * factor).view_as(v)).clamp(0.0, 1.0)


def targeted_loss(logits: torch.Tensor, targets: torch.Tensor, loss: str) -> torch.Tensor:
    """Per-row loss the attack DEScends towards ``targets``: CE on the logits or on softmax(logits)."""
    if loss == "logits":
        return nn.functional.cross_entropy(logits, targets, reduction="none")
    if loss == "probs":
        return nn.functional.cross_entropy(logits.softmax(dim=-1), targets, reduction="none")
    raise ValueError(f"attack loss {loss!r}: choose one of {', '.join(L2_LOSSES)}")


def _check_args(epsilons: Sequence[float], alpha: float, steps: int, loss: str, n_classes: int) -> list[float]:
    eps = [float(e) for e in epsilons]
    if not eps or any(not (e > 0 and math.isfinite(e)) for e in eps):
        raise ValueError(f"attack 'epsilons' must be a non-empty list of positive numbers, got {list(epsilons)}")
    if eps != sorted(set(eps)):
        raise ValueError(f"attack 'epsilons' must be strictly increasing, got {eps}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha > 0:
        raise ValueError(f"attack 'alpha' must be a positive number, got {alpha!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"attack 'steps' must be an int >= 1, got {steps!r}")
    if loss not in L2_LOSSES:
        raise ValueError(f"attack 'loss' {loss!r}: choose one of {', '.join(L2_LOSSES)}")
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes must be an int >= 2, got {n_classes!r}")
    return eps


def _attack_radius(model: nn.Module, x0: torch.Tensor, y: torch.Tensor, eps: float, alpha: float, steps: int,
                   loss: str, n_classes: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor,
                                                       torch.Tensor]:
    """Attack a chunk of B clean images (all classified correctly) at one radius, every target, early exit.

    Returns fooled (B,) bool, step (B,) int (the iterate that fooled; 0 if none), adversarial (B, ...) (the
    fooling iterate; x0 if none), adv_pred (B,) (its predicted class; -1 if none), adv_target (B,) (-1 if none).
    """
    b, shape = len(x0), x0.shape[1:]
    offsets = torch.arange(1, n_classes, device=x0.device)
    img = torch.arange(b, device=x0.device).repeat_interleave(n_classes - 1)       # row -> image
    tgt = (y[img] + offsets.repeat(b)) % n_classes                                   # the n_classes - 1 targets
    x = x0[img].clone()
    fooled = torch.zeros(b, dtype=torch.bool, device=x0.device)
    step = torch.zeros(b, dtype=torch.long, device=x0.device)
    adversarial = x0.clone()
    adv_pred = torch.full((b,), -1, dtype=torch.long, device=x0.device)
    adv_target = torch.full((b,), -1, dtype=torch.long, device=x0.device)
    for t in range(steps + 1):
        grad_needed = t < steps
        xr = x.detach().requires_grad_(grad_needed)
        with torch.set_grad_enabled(grad_needed):
            z = model(xr)
        if t > 0:  # the success check of iterate x^t
            pred = z.detach().argmax(dim=-1)
            wrong = pred != y[img]
            if wrong.any():
                rows = wrong.nonzero().squeeze(1)
                # the first fooled row (lowest target offset) of each newly fooled image
                imgs, first = _first_per_image(img[rows])
                r = rows[first]
                fooled[imgs], step[imgs] = True, t
                adversarial[imgs] = x[r].detach()
                adv_pred[imgs], adv_target[imgs] = pred[r], tgt[r]
        if not grad_needed:
            break
        keep = ~fooled[img]
        if not keep.any():
            break
        (grad,) = torch.autograd.grad((targeted_loss(z, tgt, loss) * keep).sum(), xr)
        x, grad, img, tgt = x[keep].detach(), grad[keep], img[keep], tgt[keep]
        x = l2_project_clip(x - alpha * grad, x0[img], eps)
    return fooled, step, adversarial, adv_pred, adv_target


def _first_per_image(image_of_row: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distinct images of the (sorted) rows and the index of each image's first row."""
    imgs, counts = torch.unique_consecutive(image_of_row, return_counts=True)
    first = torch.cumsum(counts, 0) - counts
    return imgs, first


def targeted_l2_attack(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, epsilons: Sequence[float],
                       alpha: float, steps: int, n_classes: int, loss: str = "logits", nested: bool = True,
                       device: str | torch.device, batch_size: int) -> dict[str, Any]:
    """Robust accuracy of ``model`` under the targeted raw-gradient L2 attack (module docstring) per radius.

    ``images``: float in [0, 1] in the model's dtype (any shape (N, ...)); ``labels`` (N,). Deterministic (no
    random start). Returns (CPU tensors):
      ``epsilons``, ``alpha``, ``steps``, ``loss``, ``nested``, ``n``, ``clean_correct`` (bool (N,)),
      ``clean_accuracy``, ``robust`` (bool (n_eps, N)), ``robust_accuracy`` (list), ``fooled_step`` (int
      (n_eps, N): the iterate that fooled the image at that radius; 0 = not attacked there or never fooled),
      ``min_eps`` (float (N,): the smallest radius of the grid that fools the image; 0 for a clean error, inf if
      none does; with ``nested=False`` the smallest radius whose own run fooled it), ``adversarial`` (float32
      (N, ...): the fooling iterate at ``min_eps``; the clean image if none), ``adv_pred``, ``adv_target``
      (int (N,), -1 if none).
    """
    eps = _check_args(epsilons, alpha, steps, loss, n_classes)
    dev = as_device(device)
    check_model_device(model, dev)
    check_batch_inputs(images, labels, batch_size, purpose="attack")
    if not images.is_floating_point():
        raise TypeError(f"images must be floating point in [0, 1], got {images.dtype}")
    check_unit_range(images)
    labels = labels.long()
    bad = labels[(labels < 0) | (labels >= n_classes)]
    if len(bad):
        raise ValueError(f"labels must lie in [0, {n_classes}), got {bad[:5].tolist()}")
    n = len(images)
    robust = torch.zeros(len(eps), n, dtype=torch.bool)
    fooled_step = torch.zeros(len(eps), n, dtype=torch.long)
    min_eps = torch.full((n,), math.inf, dtype=torch.float64)
    adversarial = images.detach().to("cpu", torch.float32).clone()
    adv_pred = torch.full((n,), -1, dtype=torch.long)
    adv_target = torch.full((n,), -1, dtype=torch.long)
    flags = [(p, p.requires_grad) for p in model.parameters()]
    with eval_mode(model):
        for p, _ in flags:
            p.requires_grad_(False)
        try:
            with torch.no_grad():
                clean_pred = torch.cat([model(images[i:i + batch_size].to(dev)).argmax(-1).cpu()
                                        for i in range(0, n, batch_size)])
            clean_correct = clean_pred == labels
            min_eps[~clean_correct] = 0.0
            alive = clean_correct.clone()  # robust at every radius so far (nested) / clean-correct (independent)
            for k, e in enumerate(eps):
                todo = (alive if nested else clean_correct).nonzero().squeeze(1)
                robust_k = torch.zeros(n, dtype=torch.bool)
                robust_k[todo] = True
                for i in range(0, len(todo), batch_size):
                    idx = todo[i:i + batch_size]
                    f, s, adv, ap, at = _attack_radius(model, images[idx].to(dev), labels[idx].to(dev), e, alpha,
                                                       steps, loss, n_classes)
                    f, s = f.cpu(), s.cpu()
                    robust_k[idx[f]] = False
                    fooled_step[k, idx] = s
                    new = idx[f & torch.isinf(min_eps[idx])]
                    sel = f & torch.isinf(min_eps[idx])
                    min_eps[new] = e
                    adversarial[new] = adv[sel].to("cpu", torch.float32)
                    adv_pred[new], adv_target[new] = ap[sel].cpu(), at[sel].cpu()
                robust[k] = robust_k if not nested else robust_k & alive
                if nested:
                    alive &= robust_k
        finally:
            for p, req in flags:
                p.requires_grad_(req)
    return {
        "epsilons": eps, "alpha": float(alpha), "steps": steps, "loss": loss, "nested": nested, "n": n,
        "clean_correct": clean_correct, "clean_accuracy": clean_correct.float().mean().item(),
        "robust": robust, "robust_accuracy": robust.float().mean(dim=1).tolist(), "fooled_step": fooled_step,
        "min_eps": min_eps, "adversarial": adversarial, "adv_pred": adv_pred, "adv_target": adv_target,
    }


def foolbox_all_targets(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, cfg: Any, *, n_classes: int,
                        device: str | torch.device, batch_size: int, seed: int) -> dict[str, Any]:
    """A diagnostic beside :func:`targeted_l2_attack`: foolbox's targeted PGD (``cfg``: an
    :class:`bioplausible.attacks.AttackConfig` with name ``l2_pgd`` or ``linf_pgd``; normalised steps, random start
    per its config) towards every target y' != y, through :func:`bioplausible.attacks.targeted_attack`
    (``TargetedMisclassification``). Success uses the same criterion as the raw-gradient attack -- the final
    clipped iterate of some target is classified != y (foolbox itself counts only the target class) -- and a
    clean error is never robust. Rows of one foolbox call are (image, target) pairs.

    Returns ``epsilons``, ``n``, ``clean_correct``, ``clean_accuracy``, ``robust`` (bool (n_eps, N)),
    ``robust_accuracy`` (list), ``target_hit`` (bool (n_eps, N): some target class itself was reached)."""
    from .attacks import targeted_attack

    labels = labels.long()
    n, m = len(images), n_classes - 1
    img = torch.arange(n).repeat_interleave(m)
    tgt = (labels[img] + torch.arange(1, n_classes).repeat(n)) % n_classes
    dev = as_device(device)
    with torch.no_grad(), eval_mode(model):
        clean_pred = torch.cat([model(images[i:i + batch_size].to(dev)).argmax(-1).cpu()
                                for i in range(0, n, batch_size)])
    clean_correct = clean_pred == labels
    out = targeted_attack(model, images[img], tgt, cfg, device=dev, batch_size=batch_size * m, seed=seed)
    adv = out["adversarial"]  # (n_eps, n * m, ...) float32
    n_eps = adv.shape[0]
    with torch.no_grad(), eval_mode(model):
        pred = torch.stack([torch.cat([model(adv[k, i:i + batch_size * m].to(dev, images.dtype)).argmax(-1).cpu()
                                       for i in range(0, n * m, batch_size * m)]) for k in range(n_eps)])
    fooled = (pred != labels[img]).view(n_eps, n, m).any(dim=2)
    robust = ~fooled & clean_correct
    return {"epsilons": list(out["epsilons"]), "n": n, "clean_correct": clean_correct,
            "clean_accuracy": clean_correct.float().mean().item(), "robust": robust,
            "robust_accuracy": robust.float().mean(dim=1).tolist(),
            "target_hit": out["success"].view(n_eps, n, m).any(dim=2)}
