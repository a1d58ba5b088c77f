"""Pictures of RL runs (matplotlib, imported inside the functions; each returns the path
written, or ``None`` when matplotlib is missing). Files are written atomically."""
from __future__ import annotations

import os
from pathlib import Path

from ..backend import np

__all__ = ["moving_average", "plot_returns", "plot_return_curves", "plot_q_table"]

ARROWS = {(0, -1): "\u2190", (1, 0): "\u2193", (0, 1): "\u2192", (-1, 0): "\u2191"}


def moving_average(values, window: int):
    """Mean of the last ``min(window, i + 1)`` values at every position i."""
    v = np.asarray(values, dtype=np.float64)
    c = np.concatenate([[0.0], np.cumsum(v)])
    i = np.arange(1, len(v) + 1)
    lo = np.maximum(0, i - window)
    return (c[i] - c[lo]) / (i - lo)


def _figure(size):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    fig = Figure(figsize=size, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path) -> Path:
    path = Path(path)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fig.savefig(tmp, format="png")
    os.replace(tmp, path)
    return path


def plot_returns(episodes: list[dict], evals: list[dict], path, title: str = "",
                 window: int = 20) -> Path | None:
    """Episodic training return (dots and its moving average) and greedy evaluation returns
    (mean +- std) against environment steps."""
    fig = _figure((7, 4))
    if fig is None:
        return None
    ax = fig.add_subplot()
    if episodes:
        steps = [r["step"] for r in episodes]
        returns = [r["return"] for r in episodes]
        ax.plot(steps, returns, ".", ms=2, alpha=0.3, color="C0")
        ax.plot(steps, moving_average(returns, window), color="C0",
                label=f"training return ({window}-episode mean)")
    if evals:
        s = np.asarray([r["step"] for r in evals])
        m = np.asarray([r["mean_return"] for r in evals])
        sd = np.asarray([r["std_return"] for r in evals])
        ax.plot(s, m, "o-", color="C1", ms=3, label="greedy evaluation (mean +- std)")
        ax.fill_between(s, m - sd, m + sd, color="C1", alpha=0.2)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("episodic return")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def plot_return_curves(curves: dict, path, title: str = "", ylabel: str = "return") -> Path | None:
    """Several labelled curves ``{label: (steps, runs)}``, ``runs`` a list of equally long
    return lists (one per seed): the mean over runs with a min-max band."""
    fig = _figure((7, 4))
    if fig is None:
        return None
    ax = fig.add_subplot()
    for i, (label, (steps, runs)) in enumerate(curves.items()):
        r = np.asarray(runs, dtype=np.float64)
        ax.plot(steps, r.mean(axis=0), color=f"C{i}", label=f"{label} (mean of {len(r)})")
        ax.fill_between(steps, r.min(axis=0), r.max(axis=0), color=f"C{i}", alpha=0.15)
    ax.set_xlabel("environment steps")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def plot_q_table(q, layout: dict, path, title: str = "") -> Path | None:
    """A grid world's learned values max_a Q(s, a) as a heat map, with the greedy action of
    every non-terminal cell as an arrow and the cell kinds (S, G, H hole, C cliff) marked in
    grey cells."""
    fig = _figure((max(4.0, 0.7 * layout["shape"][1] + 1.5), 0.7 * layout["shape"][0] + 1.2))
    if fig is None:
        return None
    from matplotlib.patheffects import withStroke

    rows, cols = layout["shape"]
    q = np.asarray(q)
    values = q.max(axis=1).reshape(rows, cols).astype(np.float64)
    policy = q.argmax(axis=1).reshape(rows, cols)
    kinds = np.array([list(row) for row in layout["cells"]])
    values[np.isin(kinds, list("HGC"))] = np.nan        # never acted from: drawn grey
    ax = fig.add_subplot()
    ax.set_facecolor("0.85")
    im = ax.imshow(values, cmap="viridis")
    fig.colorbar(im, ax=ax, label="max_a Q(s, a)", shrink=0.8)
    for r in range(rows):
        for c in range(cols):
            kind = layout["cells"][r][c]
            if kind in "HGC":
                ax.text(c, r, kind, ha="center", va="center", color="red", fontsize=12,
                        fontweight="bold")
                continue
            arrow = ARROWS[tuple(layout["moves"][policy[r, c]])]
            label = arrow if kind != "S" else f"S{arrow}"
            ax.text(c, r, label, ha="center", va="center", color="black", fontsize=13,
                    path_effects=[withStroke(linewidth=3, foreground="white")])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)
    return _save(fig, path)
