"""Flat, JSON-able metric dicts for the Amit linear-theory and circuit artifacts.

One function per artifact (catalog "Artifacts" section): fig2, fig3a (``fig3_metrics``), fig3b, fig4, thm1,
thm2, decouple, circuit. Every value is a Python float, int or bool; keys are snake_case without dots.
Numbers in key names are thresholds written as tags: ``1e6`` means relative loss below 1e-6,
``eps0p25`` means eps = 0.25, ``lt0p5_lr0p01`` means lam_T = 0.5, lam_R = 0.01.

Conventions: "iters_to_<thr>" is the first iteration n with L^n / L^0 < thr, and n_iter + 1 when the
threshold is never reached (the key "..._reached_<thr>" is then False). "order violation" values are the
largest amount (>= 0) by which a pointwise ordering in eps fails anywhere on the time grid; 0.0 means the
ordering holds everywhere.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

import numpy as np

from . import circuit as _circuit
from .linear_dynamics import LinearRun, eps_key, iterations_to_threshold, relative_weight_difference
from .scalar_dynamics import (
    conservation_residual,
    fit_tail_slope,
    fixed_point,
    predicted_tail_slope,
)

FIG3_METHODS: tuple[str, ...] = ("bp", "urfb", "frfb")


def _tag(x: float) -> str:
    """Snake-case tag of a number: 0.25 -> '0p25', 1e-06 -> '1em06'."""
    return f"{float(x):g}".replace(".", "p").replace("-", "m").replace("+", "")


def _thr_tag(threshold: float) -> str:
    """1e-6 -> '1e6' (the exponent of a power-of-ten threshold), otherwise the plain tag."""
    exponent = -math.log10(threshold)
    if abs(exponent - round(exponent)) < 1e-9:
        return f"1e{int(round(exponent))}"
    return _tag(threshold)


def _pos(x: float) -> float:
    """Positive part as a Python float."""
    return float(max(0.0, float(x)))


# ----------------------------------------------------------------------------------------------------
# Fig. 3 (teacher-student, BP / URFB / FRFB)
# ----------------------------------------------------------------------------------------------------


def fig3_metrics(
    runs: Sequence[Mapping[str, LinearRun]],
    final_threshold: float = 1e-8,
    iters_threshold: float = 1e-6,
    noise_floor_rel: float = 1e-25,
) -> dict[str, object]:
    """Metrics of amit_fig3a from a list of :func:`linear_dynamics.run_teacher_student` outputs.

    With F = tag of ``final_threshold`` (default '1e8') and I = tag of ``iters_threshold`` (default '1e6'),
    r = run index, m in (bp, urfb, frfb):

    - ``n_runs``, ``n_iter``: number of runs, iterations per run.
    - ``run{r}_{m}_final_rel_loss``: L^N / L^0 at the last iteration.
    - ``run{r}_{m}_iters_to_{F}``, ``run{r}_{m}_iters_to_{I}``: first n with L^n/L^0 below the threshold
      (n_iter + 1 if never).
    - ``run{r}_{m}_reached_{F}``: the F threshold was reached within n_iter iterations.
    - ``run{r}_{m}_below_{F}_at_end``: L^N/L^0 < final_threshold.
    - ``run{r}_{m}_diverged``: the loss became non-finite.
    - ``run{r}_frfb_minus_urfb_iters_to_{I}``: FRFB's minus URFB's iterations to I (> 0: URFB first).
    - ``run{r}_frac_iters_urfb_below_frfb``: fraction of iterations n >= 1, among those where both relative
      losses are above ``noise_floor_rel`` (the float64 round-off floor is ~1e-31), with L_urfb < L_frfb.
    - ``min_over_runs_frfb_minus_urfb_iters_to_{I}``: minimum of the per-run difference (claim: > 0).
    - ``all_runs_urfb_before_frfb_{I}``: the difference is > 0 in every run.
    - ``max_over_runs_final_rel_loss``: max over runs and methods of L^N/L^0.
    - ``max_over_runs_{m}_final_rel_loss``, ``max_over_runs_{m}_iters_to_{F}``: per method.
    - ``all_runs_all_methods_reached_{F}``: every method reached F within n_iter in every run and ends below.
    - ``min_over_runs_frac_iters_urfb_below_frfb``.
    - ``any_diverged``.
    """
    f_tag, i_tag = _thr_tag(final_threshold), _thr_tag(iters_threshold)
    out: dict[str, object] = {"n_runs": len(runs), "n_iter": int(len(runs[0]["bp"].loss) - 1)}
    diffs, fracs, all_ok, any_div = [], [], True, False
    per_method_final = {m: [] for m in FIG3_METHODS}
    per_method_iters = {m: [] for m in FIG3_METHODS}
    for r, run in enumerate(runs):
        n_iter = len(run["bp"].loss) - 1
        iters_i = {}
        for m in FIG3_METHODS:
            rel = run[m].rel_loss
            final = float(rel[-1])
            n_f = iterations_to_threshold(rel, final_threshold)
            n_i = iterations_to_threshold(rel, iters_threshold)
            iters_i[m] = n_i
            reached = n_f <= n_iter
            below_end = bool(final < final_threshold)
            out[f"run{r}_{m}_final_rel_loss"] = final
            out[f"run{r}_{m}_iters_to_{f_tag}"] = int(n_f)
            out[f"run{r}_{m}_iters_to_{i_tag}"] = int(n_i)
            out[f"run{r}_{m}_reached_{f_tag}"] = bool(reached)
            out[f"run{r}_{m}_below_{f_tag}_at_end"] = below_end
            out[f"run{r}_{m}_diverged"] = bool(run[m].diverged)
            all_ok &= reached and below_end and not run[m].diverged
            any_div |= run[m].diverged
            per_method_final[m].append(final)
            per_method_iters[m].append(n_f)
        diff = iters_i["frfb"] - iters_i["urfb"]
        out[f"run{r}_frfb_minus_urfb_iters_to_{i_tag}"] = int(diff)
        diffs.append(diff)
        ru, rf = run["urfb"].rel_loss[1:], run["frfb"].rel_loss[1:]
        mask = (ru > noise_floor_rel) & (rf > noise_floor_rel)
        frac = float(np.mean(ru[mask] < rf[mask])) if mask.any() else float("nan")
        out[f"run{r}_frac_iters_urfb_below_frfb"] = frac
        fracs.append(frac)
    out[f"min_over_runs_frfb_minus_urfb_iters_to_{i_tag}"] = int(min(diffs))
    out[f"all_runs_urfb_before_frfb_{i_tag}"] = bool(min(diffs) > 0)
    out["max_over_runs_final_rel_loss"] = float(max(max(v) for v in per_method_final.values()))
    for m in FIG3_METHODS:
        out[f"max_over_runs_{m}_final_rel_loss"] = float(max(per_method_final[m]))
        out[f"max_over_runs_{m}_iters_to_{f_tag}"] = int(max(per_method_iters[m]))
    out[f"all_runs_all_methods_reached_{f_tag}"] = bool(all_ok)
    out["min_over_runs_frac_iters_urfb_below_frfb"] = float(np.nanmin(fracs))
    out["any_diverged"] = bool(any_div)
    return out


def fig3b_metrics(
    runs: Sequence[Mapping[str, LinearRun]],
    final_threshold: float = 1e-8,
) -> dict[str, object]:
    """Metrics of amit_fig3b (final URFB vs BP weights) from :func:`run_teacher_student` outputs.

    D_i = ||W_i^urfb - W_i^bp||_F / ||W_i^bp||_F at the last iteration; F = tag of ``final_threshold``.

    - ``n_runs``, ``n_layers``.
    - ``run{r}_d_layer{i}`` (i = 1..k): D_i of run r.
    - ``run{r}_min_d``: min over layers of D_i.
    - ``run{r}_urfb_and_bp_below_{F}``: both URFB and BP end with L^N/L^0 < final_threshold.
    - ``min_over_runs_d_layer{i}``, ``max_over_runs_d_layer{i}``: over runs, per layer.
    - ``min_over_runs_d``: min over runs and layers (claim: >= 0.05).
    - ``max_over_runs_d``: max over runs and layers.
    - ``all_runs_urfb_and_bp_below_{F}``.
    """
    f_tag = _thr_tag(final_threshold)
    d_all = []
    out: dict[str, object] = {"n_runs": len(runs)}
    both_ok = True
    for r, run in enumerate(runs):
        d = relative_weight_difference(run["urfb"].weights, run["bp"].weights)
        d_all.append(d)
        for i, di in enumerate(d, start=1):
            out[f"run{r}_d_layer{i}"] = float(di)
        out[f"run{r}_min_d"] = float(d.min())
        ok = bool(run["urfb"].rel_loss[-1] < final_threshold and run["bp"].rel_loss[-1] < final_threshold)
        out[f"run{r}_urfb_and_bp_below_{f_tag}"] = ok
        both_ok &= ok
    d_all = np.array(d_all)
    out["n_layers"] = int(d_all.shape[1])
    for i in range(d_all.shape[1]):
        out[f"min_over_runs_d_layer{i + 1}"] = float(d_all[:, i].min())
        out[f"max_over_runs_d_layer{i + 1}"] = float(d_all[:, i].max())
    out["min_over_runs_d"] = float(d_all.min())
    out["max_over_runs_d"] = float(d_all.max())
    out[f"all_runs_urfb_and_bp_below_{f_tag}"] = bool(both_ok)
    return out


# ----------------------------------------------------------------------------------------------------
# Fig. 4 (eps sweep)
# ----------------------------------------------------------------------------------------------------


def fig4_metrics(
    runs: Sequence[Mapping[str, LinearRun]],
    threshold: float = 1e-4,
    skip_frac: float = 0.01,
    noise_floor_rel: float = 1e-25,
) -> dict[str, object]:
    """Metrics of amit_fig4 from a list of :func:`linear_dynamics.run_eps_sweep` outputs.

    The eps runs (every key except 'bp') are sorted by eps. T = tag of ``threshold`` (default '1e4').

    - ``n_runs``, ``n_iter``, ``n_eps``; ``unreached_value``: n_iter + 1, used for a threshold never reached.
    - ``run{r}_{epskey}_iters_to_{T}``: n_eps, first n with L^n/L^0 < threshold (n_iter + 1 if never).
    - ``run{r}_{epskey}_reached_{T}``: the threshold was reached (False means n_eps = infinity).
    - ``run{r}_{epskey}_final_rel_loss``: L^N/L^0.
    - ``run{r}_bp_iters_to_{T}``, ``run{r}_bp_final_rel_loss``: the BP ("SGD") curve, from random W(0).
    - ``run{r}_min_consecutive_gap``: min over consecutive eps of n_{eps_j} - n_{eps_{j+1}} (> 0 iff strictly
      decreasing; two unreached values give 0).
    - ``run{r}_strictly_decreasing``: n_eps strictly decreasing in eps.
    - ``run{r}_ordered_fraction``: fraction of iterations n >= ceil(skip_frac * n_iter) at which
      L^n is non-increasing in eps across all eps curves (higher eps lower or equal).
    - ``run{r}_ordered_fraction_above_floor``: the same, counting only iterations where every eps curve is
      above ``noise_floor_rel`` (at the float64 round-off floor the order is noise).
    - ``min_over_runs_min_consecutive_gap`` (claim: > 0), ``all_runs_strictly_decreasing``,
      ``min_over_runs_ordered_fraction``, ``min_over_runs_ordered_fraction_above_floor``,
      ``any_run_eps0_unreached`` (some run has n_0 = infinity), ``n_runs_eps_min_unreached``.
    """
    t_tag = _thr_tag(threshold)
    n_iter = int(len(runs[0]["bp"].loss) - 1) if "bp" in runs[0] else int(len(next(iter(runs[0].values())).loss) - 1)
    out: dict[str, object] = {"n_runs": len(runs), "n_iter": n_iter, "unreached_value": n_iter + 1}
    gaps, fracs, fracs_floor, n_unreached_min = [], [], [], 0
    for r, run in enumerate(runs):
        eps_runs = sorted((v for k, v in run.items() if k != "bp"), key=lambda x: x.eps)
        out["n_eps"] = len(eps_runs)
        ns = []
        for er in eps_runs:
            key = eps_key(er.eps)
            n = iterations_to_threshold(er.rel_loss, threshold)
            ns.append(n)
            out[f"run{r}_{key}_iters_to_{t_tag}"] = int(n)
            out[f"run{r}_{key}_reached_{t_tag}"] = bool(n <= n_iter)
            out[f"run{r}_{key}_final_rel_loss"] = float(er.rel_loss[-1])
        if ns[0] > n_iter:
            n_unreached_min += 1
        if "bp" in run:
            out[f"run{r}_bp_iters_to_{t_tag}"] = int(iterations_to_threshold(run["bp"].rel_loss, threshold))
            out[f"run{r}_bp_final_rel_loss"] = float(run["bp"].rel_loss[-1])
        gap = int(min(a - b for a, b in zip(ns[:-1], ns[1:])))
        out[f"run{r}_min_consecutive_gap"] = gap
        out[f"run{r}_strictly_decreasing"] = bool(gap > 0)
        gaps.append(gap)
        start = int(math.ceil(skip_frac * n_iter))
        losses = np.array([er.loss[start:] for er in eps_runs])  # (n_eps, n) ; same L^0 = ||T||^2
        ordered = np.all(np.diff(losses, axis=0) <= 0.0, axis=0)
        frac = float(ordered.mean())
        rels = np.array([er.rel_loss[start:] for er in eps_runs])
        above = np.all(rels > noise_floor_rel, axis=0)
        frac_floor = float(ordered[above].mean()) if above.any() else float("nan")
        out[f"run{r}_ordered_fraction"] = frac
        out[f"run{r}_ordered_fraction_above_floor"] = frac_floor
        fracs.append(frac)
        fracs_floor.append(frac_floor)
    out["min_over_runs_min_consecutive_gap"] = int(min(gaps))
    out["all_runs_strictly_decreasing"] = bool(min(gaps) > 0)
    out["min_over_runs_ordered_fraction"] = float(min(fracs))
    out["min_over_runs_ordered_fraction_above_floor"] = float(np.nanmin(fracs_floor))
    out["any_run_eps0_unreached"] = bool(n_unreached_min > 0)
    out["n_runs_eps_min_unreached"] = int(n_unreached_min)
    return out


# ----------------------------------------------------------------------------------------------------
# Theorems 1 and 2 (scalar ODE sweeps)
# ----------------------------------------------------------------------------------------------------


def _case_prefix(sweep: Mapping[str, object]) -> str:
    return f"lt{_tag(sweep['lam_T'])}_lr" + "_".join(_tag(x) for x in sweep["lam_Rs"])


def _order_violation(values: np.ndarray) -> float:
    """Max over t and consecutive eps of values[j] - values[j+1] (positive part): 0 if non-decreasing."""
    return _pos(np.max(values[:-1] - values[1:])) if len(values) > 1 else 0.0


def _sweep_metrics(sweep: Mapping[str, object], upper_rel: float, lower_rel: float) -> tuple[dict, dict]:
    """Per-eps and ordering metrics shared by thm1 and thm2. Returns (keys, raw numbers for aggregation)."""
    p = _case_prefix(sweep)
    lam = np.asarray(sweep["lam"])  # (n_eps, k, nt)
    e2 = np.asarray(sweep["e2"])  # (n_eps, nt)
    t = np.asarray(sweep["t"])
    eps_arr = np.asarray(sweep["epsilons"], dtype=np.float64)
    lam_T, lam_Rs = float(sweep["lam_T"]), tuple(sweep["lam_Rs"])
    k = lam.shape[1]
    out: dict[str, object] = {}
    rel_errs, cons = [], []
    for j, eps in enumerate(eps_arr):
        q = f"{p}_{eps_key(eps)}"
        star = fixed_point(lam_T, lam_Rs, eps)
        pred = predicted_tail_slope(lam_T, lam_Rs, eps)
        fit = fit_tail_slope(t, e2[j], upper_rel, lower_rel)
        rel_err = abs(fit["slope"] - pred) / abs(pred)
        res = float(np.max(np.abs(conservation_residual(lam[j], lam_Rs, eps))))
        out[f"{q}_predicted_slope"] = float(pred)
        out[f"{q}_fitted_slope"] = float(fit["slope"])
        out[f"{q}_slope_rel_err"] = float(rel_err)
        out[f"{q}_fit_t_start"] = float(fit["t_start"])
        out[f"{q}_fit_t_end"] = float(fit["t_end"])
        out[f"{q}_fit_n_points"] = int(fit["n_points"])
        for i in range(k):
            out[f"{q}_lam{i + 1}_star"] = float(star[i])
            out[f"{q}_lam{i + 1}_final"] = float(lam[j, i, -1])
        out[f"{q}_conservation_residual"] = res
        out[f"{q}_final_rel_e2"] = float(e2[j, -1] / e2[j, 0])
        rel_errs.append(rel_err)
        cons.append(res)
    out[f"{p}_max_e2_order_violation"] = _order_violation(-e2)  # e2 must be non-increasing in eps
    for i in range(k - 1):
        out[f"{p}_max_lam{i + 1}_order_violation"] = _order_violation(lam[:, i])
    eps_last_sq = eps_arr[:, None] * lam[:, k - 1] ** 2
    out[f"{p}_max_eps_lam{k}sq_order_violation"] = _order_violation(eps_last_sq)
    last_up = _pos(np.max(lam[1:, k - 1] - lam[:-1, k - 1])) if len(eps_arr) > 1 else 0.0
    last_down = _pos(np.max(lam[:-1, k - 1] - lam[1:, k - 1])) if len(eps_arr) > 1 else 0.0
    out[f"{p}_lam{k}_max_increase_in_eps"] = last_up
    out[f"{p}_lam{k}_max_decrease_in_eps"] = last_down
    out[f"{p}_max_slope_rel_err"] = float(max(rel_errs))
    out[f"{p}_max_conservation_residual"] = float(max(cons))
    raw = {
        "e2": out[f"{p}_max_e2_order_violation"],
        "lam": [out[f"{p}_max_lam{i + 1}_order_violation"] for i in range(k - 1)],
        "eps_last_sq": out[f"{p}_max_eps_lam{k}sq_order_violation"],
        "slope": max(rel_errs),
        "cons": max(cons),
        "last_up": last_up,
        "last_down": last_down,
        "k": k,
        "prefix": p,
    }
    return out, raw


def thm1_metrics(
    sweeps: Sequence[Mapping[str, object]],
    order_tol: float = 1e-12,
    upper_rel: float = 1e-6,
    lower_rel: float = 1e-16,
) -> dict[str, object]:
    """Metrics of amit_thm1 from :func:`scalar_dynamics.sweep_two_layer` outputs (one per (lam_T, lam_R)).

    p = ``lt{lam_T}_lr{lam_R}``, q = ``{p}_{epskey}``.

    - ``{q}_predicted_slope``: -2 B* of ln e^2 at the root-found fixed point (eq. 19).
    - ``{q}_fitted_slope``, ``{q}_slope_rel_err`` (|fit - pred| / |pred|), ``{q}_fit_t_start``,
      ``{q}_fit_t_end``, ``{q}_fit_n_points``: least-squares slope of ln e^2 over the window where
      e^2/e^2(0) is between ``upper_rel`` and ``lower_rel`` (see :func:`scalar_dynamics.fit_tail_slope`).
    - ``{q}_lam1_star``, ``{q}_lam2_star``: fixed point; ``{q}_lam1_final``, ``{q}_lam2_final``: values at t_max.
    - ``{q}_conservation_residual``: max |lam_R lam_2 + eps/2 lam_2^2 - lam_1^2/2| over t (eq. 17).
    - ``{q}_reduced_max_abs_dlam1``: max |lam_1(eq. 14) - lam_1(eq. 22)| over t.
    - ``{q}_final_rel_e2``: e^2(t_max)/e^2(0).
    - ``{p}_max_e2_order_violation``: max over t, consecutive eps of e^2(eps_{j+1}) - e^2(eps_j), >= 0.
    - ``{p}_max_lam1_order_violation``: max of lam_1(eps_j) - lam_1(eps_{j+1}), >= 0.
    - ``{p}_max_eps_lam2sq_order_violation``: same for eps lam_2^2.
    - ``{p}_lam2_max_increase_in_eps``, ``{p}_lam2_max_decrease_in_eps``: lam_2 itself is not monotone.
    - ``{p}_max_slope_rel_err``, ``{p}_max_conservation_residual``, ``{p}_max_reduced_abs_dlam1``.
    - Aggregates over cases: ``n_cases``, ``max_e2_order_violation``, ``max_lam1_order_violation``,
      ``max_eps_lam2sq_order_violation``, ``max_slope_rel_err``, ``max_conservation_residual``,
      ``max_reduced_abs_dlam1``, ``orderings_hold`` (all three violations <= ``order_tol``), ``order_tol``.
    """
    out: dict[str, object] = {"n_cases": len(sweeps), "order_tol": float(order_tol)}
    agg = {"e2": 0.0, "lam1": 0.0, "epsl": 0.0, "slope": 0.0, "cons": 0.0, "red": 0.0}
    for sweep in sweeps:
        keys, raw = _sweep_metrics(sweep, upper_rel, lower_rel)
        if raw["k"] != 2:
            raise ValueError("thm1_metrics expects two-layer sweeps")
        out.update(keys)
        p = raw["prefix"]
        lam = np.asarray(sweep["lam"])
        red = np.asarray(sweep["lam1_reduced"])
        red_max = 0.0
        for j, eps in enumerate(sweep["epsilons"]):
            d = float(np.max(np.abs(lam[j, 0] - red[j])))
            out[f"{p}_{eps_key(eps)}_reduced_max_abs_dlam1"] = d
            red_max = max(red_max, d)
        out[f"{p}_max_reduced_abs_dlam1"] = red_max
        agg["e2"] = max(agg["e2"], raw["e2"])
        agg["lam1"] = max(agg["lam1"], raw["lam"][0])
        agg["epsl"] = max(agg["epsl"], raw["eps_last_sq"])
        agg["slope"] = max(agg["slope"], raw["slope"])
        agg["cons"] = max(agg["cons"], raw["cons"])
        agg["red"] = max(agg["red"], red_max)
    out["max_e2_order_violation"] = float(agg["e2"])
    out["max_lam1_order_violation"] = float(agg["lam1"])
    out["max_eps_lam2sq_order_violation"] = float(agg["epsl"])
    out["max_slope_rel_err"] = float(agg["slope"])
    out["max_conservation_residual"] = float(agg["cons"])
    out["max_reduced_abs_dlam1"] = float(agg["red"])
    out["orderings_hold"] = bool(max(agg["e2"], agg["lam1"], agg["epsl"]) <= order_tol)
    return out


def thm2_metrics(
    sweeps: Sequence[Mapping[str, object]],
    order_tol: float = 1e-12,
    upper_rel: float = 1e-6,
    lower_rel: float = 1e-16,
) -> dict[str, object]:
    """Metrics of amit_thm2 from :func:`scalar_dynamics.sweep_k_layer` outputs (k = 3 in the catalog).

    p = ``lt{lam_T}_lr{lam_R2}_{lam_R3}...``, q = ``{p}_{epskey}``.

    - ``{q}_predicted_slope``, ``{q}_fitted_slope``, ``{q}_slope_rel_err``, ``{q}_fit_t_start``,
      ``{q}_fit_t_end``, ``{q}_fit_n_points``: as in :func:`thm1_metrics`, with B from eq. 18.
    - ``{q}_lam{i}_star``, ``{q}_lam{i}_final`` (i = 1..k); ``{q}_final_rel_e2``.
    - ``{q}_conservation_residual``: max over i = 2..k and t of |eq. 17 residual|.
    - ``{q}_theorem_condition_holds``: lam_R2 > (1 + sqrt(1 + eps))/2 lam_R3 (Theorem 2; k = 3 only).
    - ``{p}_max_e2_order_violation``; ``{p}_max_lam{i}_order_violation`` for i = 1..k-1;
      ``{p}_max_eps_lam{k}sq_order_violation``.
    - ``{p}_lam{k}_max_increase_in_eps``, ``{p}_lam{k}_max_decrease_in_eps``: largest pointwise rise/fall
      of lam_k between consecutive eps; ``{p}_lam{k}_monotone_in_eps``: one of them is <= ``order_tol``.
    - ``{p}_max_slope_rel_err``, ``{p}_max_conservation_residual``.
    - Aggregates: ``n_cases``, ``order_tol``, ``max_e2_order_violation``, ``max_lam_order_violation``
      (over i = 1..k-1), ``max_lam1_order_violation``, ``max_lam2_order_violation`` (k >= 3),
      ``max_eps_lamk_sq_order_violation``, ``max_slope_rel_err``, ``max_conservation_residual``,
      ``orderings_hold``, ``lamk_monotone_in_any_case`` (False: the statement about lam_3 fails).
    """
    out: dict[str, object] = {"n_cases": len(sweeps), "order_tol": float(order_tol)}
    e2v, lamv, lam1v, lam2v, epslv, slope, cons, any_mono = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, False
    for sweep in sweeps:
        keys, raw = _sweep_metrics(sweep, upper_rel, lower_rel)
        out.update(keys)
        p, k = raw["prefix"], raw["k"]
        if k == 3:
            lr2, lr3 = sweep["lam_Rs"]
            for eps in sweep["epsilons"]:
                out[f"{p}_{eps_key(eps)}_theorem_condition_holds"] = bool(lr2 > (1 + math.sqrt(1 + eps)) / 2 * lr3)
        mono = bool(min(raw["last_up"], raw["last_down"]) <= order_tol)
        out[f"{p}_lam{k}_monotone_in_eps"] = mono
        any_mono |= mono
        e2v = max(e2v, raw["e2"])
        lamv = max(lamv, max(raw["lam"]) if raw["lam"] else 0.0)
        lam1v = max(lam1v, raw["lam"][0])
        if k >= 3:
            lam2v = max(lam2v, raw["lam"][1])
        epslv = max(epslv, raw["eps_last_sq"])
        slope = max(slope, raw["slope"])
        cons = max(cons, raw["cons"])
    out["max_e2_order_violation"] = float(e2v)
    out["max_lam_order_violation"] = float(lamv)
    out["max_lam1_order_violation"] = float(lam1v)
    out["max_lam2_order_violation"] = float(lam2v)
    out["max_eps_lamk_sq_order_violation"] = float(epslv)
    out["max_slope_rel_err"] = float(slope)
    out["max_conservation_residual"] = float(cons)
    out["orderings_hold"] = bool(max(e2v, lamv, epslv) <= order_tol)
    out["lamk_monotone_in_any_case"] = bool(any_mono)
    return out


# ----------------------------------------------------------------------------------------------------
# Decoupling (S3)
# ----------------------------------------------------------------------------------------------------


def decouple_metrics(results: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """Metrics of amit_decouple from :func:`decoupling.run_decoupling` outputs.

    c = ``k{k}_{epskey}`` (k = number of layers); one case per result, (k, eps) must be unique.

    - ``{c}_max_offdiag_rel``: max over t and layers of ||offdiag(Lambda_i)||_F / ||Lambda_i||_F with
      Lambda_i = U_{i+1}^T W_i U_i (taken as 0 at t = 0, where W = 0).
    - ``{c}_max_outside_rel``: max of ||W_i - U_{i+1} Lambda_i U_i^T||_F / ||W_i||_F (mass outside the frames).
    - ``{c}_max_feedback_rel``: max of ||R_i - U_i (Lambda_R + eps Lambda_i) U_{i+1}^T||_F / ||R_i||_F.
    - ``{c}_max_diag_abs_err``: max over t, layers, directions of |diag Lambda_i - scalar ODE solution|.
    - ``{c}_max_abs_lam``: max |lambda| reached (scale of the compared values).
    - Aggregates: ``n_cases``, ``max_offdiag_rel``, ``max_outside_rel``, ``max_feedback_rel``,
      ``max_diag_abs_err``.
    """
    out: dict[str, object] = {"n_cases": len(results)}
    agg = {"offdiag": 0.0, "outside": 0.0, "feedback": 0.0, "diag": 0.0}
    for res in results:
        k = len(res["dims"]) - 1
        c = f"k{k}_{eps_key(res['eps'])}"
        if f"{c}_max_offdiag_rel" in out:
            raise ValueError(f"duplicate decoupling case {c}")
        vals = {
            "offdiag": float(np.max(res["offdiag_rel"])),
            "outside": float(np.max(res["outside_rel"])),
            "feedback": float(np.max(res["feedback_rel"])) if np.size(res["feedback_rel"]) else 0.0,
            "diag": float(np.max(res["diag_abs_err"])),
        }
        out[f"{c}_max_offdiag_rel"] = vals["offdiag"]
        out[f"{c}_max_outside_rel"] = vals["outside"]
        out[f"{c}_max_feedback_rel"] = vals["feedback"]
        out[f"{c}_max_diag_abs_err"] = vals["diag"]
        out[f"{c}_max_abs_lam"] = float(np.max(np.abs(res["lam_matrix"])))
        for name, v in vals.items():
            agg[name] = max(agg[name], v)
    out["max_offdiag_rel"] = float(agg["offdiag"])
    out["max_outside_rel"] = float(agg["outside"])
    out["max_feedback_rel"] = float(agg["feedback"])
    out["max_diag_abs_err"] = float(agg["diag"])
    return out


# ----------------------------------------------------------------------------------------------------
# Circuit (Sec. 2.3) and transfer functions (Fig. 2)
# ----------------------------------------------------------------------------------------------------


def circuit_metrics(
    h: np.ndarray, s: np.ndarray, o_hist: np.ndarray, M: float, S: float, mu: float, eps: float,
    n_tail: int = 6,
) -> dict[str, object]:
    """Metrics of amit_circuit from :func:`circuit.simulate_circuit` output ``o_hist`` (n_steps, *grid).

    ``h`` and ``s`` broadcast to the grid shape. A grid point "disagrees" when its classified behaviour
    (constant / period 2, and the value(s)) differs from the paper's table (catalog A3).

    - ``n_points``, ``n_steps``: grid size and number of alternating updates.
    - ``n_constant``, ``n_period2``, ``n_other``: classified trajectories.
    - ``n_disagree``: grid points disagreeing with the table (all h).
    - ``n_disagree_interior``: the same restricted to |h| < M (the endpoints |h| = M are ambiguous in
      eq. 9, see :mod:`circuit`).
    - ``n_endpoint_points``: grid points with |h| = M.
    - ``min_abs_h_of_disagreement``: smallest |h| among disagreeing points (-1.0 if none).
    - ``n_constant_value_ne_delta``: constant trajectories whose value differs from delta of eq. 5.
    - ``n_oscillating_with_nonzero_delta``: period-2 trajectories at points where delta != 0.
    - ``n_period2_not_visiting_zero``: period-2 trajectories that never take the value 0.
    """
    grid_shape = o_hist.shape[1:]
    h_b, s_b = np.broadcast_to(np.asarray(h, float), grid_shape), np.broadcast_to(np.asarray(s, float), grid_shape)
    cl = _circuit.classify_trajectories(o_hist, n_tail)
    ex = _circuit.expected_behaviour(h_b, s_b, S, mu, eps)

    def same(a, b):
        return np.isclose(a, b, rtol=0.0, atol=1e-12) & ~np.isnan(a)

    agree = (cl["kind"] == ex["kind"]) & same(cl["value_a"], ex["value_a"]) & same(cl["value_b"], ex["value_b"])
    interior = np.abs(h_b) < M
    delta = _circuit.delta_eq5(h_b, s_b, mu, S)
    const = cl["kind"] == _circuit.CONSTANT
    per2 = cl["kind"] == _circuit.PERIOD2
    bad_h = np.abs(h_b[~agree])
    return {
        "n_points": int(h_b.size),
        "n_steps": int(o_hist.shape[0]),
        "n_constant": int(const.sum()),
        "n_period2": int(per2.sum()),
        "n_other": int((cl["kind"] == _circuit.OTHER).sum()),
        "n_disagree": int((~agree).sum()),
        "n_disagree_interior": int((~agree & interior).sum()),
        "n_endpoint_points": int((~interior).sum()),
        "min_abs_h_of_disagreement": float(bad_h.min()) if bad_h.size else -1.0,
        "n_constant_value_ne_delta": int((const & ~np.isclose(cl["value_a"], delta, rtol=0, atol=1e-12)).sum()),
        "n_oscillating_with_nonzero_delta": int((per2 & (delta != 0.0)).sum()),
        "n_period2_not_visiting_zero": int((per2 & (cl["value_a"] != 0.0) & (cl["value_b"] != 0.0)).sum()),
    }


def _find_steps(fn: Callable[[np.ndarray], np.ndarray], lo: float, hi: float, n_grid: int) -> tuple[list, list]:
    """Locate the jumps of a piecewise-constant fn on [lo, hi]: dense scan, then bisection to ~1e-13.

    Returns (breakpoints, levels) with len(levels) = len(breakpoints) + 1, levels taken at piece midpoints.
    """
    x = np.linspace(lo, hi, n_grid)
    y = fn(x)
    idx = np.flatnonzero(y[1:] != y[:-1])
    breaks = []
    for i in idx:
        a, b = float(x[i]), float(x[i + 1])
        ya = fn(np.array([a]))[0]
        for _ in range(200):
            mid = 0.5 * (a + b)
            if mid <= a or mid >= b or b - a < 1e-13:
                break
            if fn(np.array([mid]))[0] == ya:
                a = mid
            else:
                b = mid
        breaks.append(0.5 * (a + b))
    edges = [lo, *breaks, hi]
    mids = np.array([0.5 * (edges[j] + edges[j + 1]) for j in range(len(edges) - 1)])
    levels = [float(v) for v in fn(mids)]
    return breaks, levels


def fig2_metrics(
    M: float,
    S: float,
    mu: float,
    eps: float,
    margin: float = 2.0,
    n_grid: int = 20001,
    sigma_o_fn: Callable | None = None,
    sigma_t_fn: Callable | None = None,
) -> dict[str, object]:
    """Metrics of amit_fig2: breakpoints and levels of sigma_o and sigma_t found numerically.

    sigma_o is scanned on [-2M-S-margin, 2M+S+margin] and sigma_t on [-1-margin, 1+margin] (the ``*_fn``
    arguments default to :func:`circuit.sigma_o` / :func:`circuit.sigma_t`; tests pass broken versions).
    Expected from eq. 9: sigma_o breaks at (-2M-S, -M, M, 2M+S) with levels (-mu-eps, -mu, 0, 1, 1+eps);
    sigma_t breaks at (-mu, 1) with levels (-1, 0, 1).

    - ``sigma_o_n_breakpoints``, ``sigma_t_n_breakpoints``: number of jumps found.
    - ``sigma_o_breakpoint{j}``, ``sigma_o_level{j}`` (and sigma_t): found values, left to right.
    - ``sigma_o_max_breakpoint_err``, ``sigma_o_max_level_err`` (and sigma_t): max abs deviation from
      eq. 9 (inf if the number of breakpoints differs).
    - ``sigma_o_value_at_2m_plus_s`` (eq. 9: 1), ``sigma_o_value_at_minus_2m_minus_s`` (eq. 9: -mu),
      ``sigma_o_value_at_m``, ``sigma_o_value_at_minus_m`` (eq. 9 is ambiguous there; convention: 1 and
      -mu), ``sigma_t_value_at_1`` (eq. 9: 0), ``sigma_t_value_at_minus_mu`` (eq. 9: 0).
    - ``n_closed_side_mismatches``: how many of the four unambiguous breakpoint values
      (sigma_o at +-(2M+S), sigma_t at 1 and -mu) differ from eq. 9.
    - ``matches_eq9``: breakpoints and levels within 1e-9 and no closed-side mismatch.
    """
    so = sigma_o_fn or (lambda x: _circuit.sigma_o(x, M, S, mu, eps))
    st = sigma_t_fn or (lambda x: _circuit.sigma_t(x, mu))
    out: dict[str, object] = {}
    specs = {
        "sigma_o": (so, -2 * M - S - margin, 2 * M + S + margin,
                    [-2 * M - S, -M, M, 2 * M + S], [-mu - eps, -mu, 0.0, 1.0, 1.0 + eps]),
        "sigma_t": (st, -1.0 - margin, 1.0 + margin, [-mu, 1.0], [-1.0, 0.0, 1.0]),
    }
    ok = True
    for name, (fn, lo, hi, exp_b, exp_l) in specs.items():
        breaks, levels = _find_steps(fn, lo, hi, n_grid)
        out[f"{name}_n_breakpoints"] = len(breaks)
        for j, b in enumerate(breaks):
            out[f"{name}_breakpoint{j}"] = float(b)
        for j, v in enumerate(levels):
            out[f"{name}_level{j}"] = float(v)
        if len(breaks) == len(exp_b):
            berr = float(np.max(np.abs(np.array(breaks) - exp_b)))
            lerr = float(np.max(np.abs(np.array(levels) - exp_l)))
        else:
            berr = lerr = float("inf")
        out[f"{name}_max_breakpoint_err"] = berr
        out[f"{name}_max_level_err"] = lerr
        ok &= berr <= 1e-9 and lerr <= 1e-9

    def at(fn, x):
        return float(fn(np.array([x], dtype=np.float64))[0])

    out["sigma_o_value_at_2m_plus_s"] = at(so, 2 * M + S)
    out["sigma_o_value_at_minus_2m_minus_s"] = at(so, -2 * M - S)
    out["sigma_o_value_at_m"] = at(so, M)
    out["sigma_o_value_at_minus_m"] = at(so, -M)
    out["sigma_t_value_at_1"] = at(st, 1.0)
    out["sigma_t_value_at_minus_mu"] = at(st, -mu)
    mism = int(out["sigma_o_value_at_2m_plus_s"] != 1.0) + int(out["sigma_o_value_at_minus_2m_minus_s"] != -mu) \
        + int(out["sigma_t_value_at_1"] != 0.0) + int(out["sigma_t_value_at_minus_mu"] != 0.0)
    out["n_closed_side_mismatches"] = mism
    out["matches_eq9"] = bool(ok and mism == 0)
    return out
