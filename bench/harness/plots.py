"""The report's PNG plots (matplotlib, Agg backend): cost per step against N, fan-out time and
memory per item against W, the server's first-event latency distributions, durable runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from harness.report import find, rows, value


def _series(rs: list[dict[str, Any]], variant: str, key: str, per_x: bool) -> tuple[list[int], list[float]]:
    xs, ys = [], []
    for x in sorted({r["x"] for r in rs}):
        row = find(rs, variant, x)
        v = None if row is None or row.get("error") else value(row, key, x if per_x else 1)
        if v is not None:
            xs.append(x)
            ys.append(v)
    return xs, ys


def _style(variant: str) -> dict[str, Any]:
    return {"linewidth": 2.6, "color": "black"} if variant.startswith("stepstream") else {"linewidth": 1.4}


def _line(variant: str) -> str:
    """Solid: async steps; dashed: sync steps on threads; dotted: sync steps inline (plan.CHAIN_ROWS)."""
    words = variant.replace("(", " ").replace(")", " ").split()
    if "inline" in words or "invoke" in words or variant == "Mastra sync":
        return ":"
    return "--" if "sync" in words else "-"


def chain_plot(results: dict[str, Any], path: Path) -> None:
    rs = rows(results, "chain")
    fig, ax = plt.subplots(figsize=(8, 5))
    for variant in dict.fromkeys(r["variant"] for r in rs):
        xs, ys = _series(rs, variant, "s", True)
        if xs:
            ax.plot(
                xs,
                [y * 1e6 for y in ys],
                marker="o",
                label=variant,
                linestyle=_line(variant),
                **_style(variant),
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("steps in the chain (N)")
    ax.set_ylabel("µs per step (median run / N)")
    ax.set_title("(a) engine cost per step, in memory, typed trivial steps\n(solid: async; dashed: sync on threads; dotted: sync inline)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fanout_plot(results: dict[str, Any], path: Path) -> None:
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    for col, kind in enumerate(("parallel", "foreach")):
        rs = rows(results, f"fanout_{kind}")
        for variant in dict.fromkeys(r["variant"] for r in rs):
            xs, ys = _series(rs, variant, "s", True)
            if xs:
                axes[0][col].plot(xs, [y * 1e6 for y in ys], marker="o", label=variant, **_style(variant))
            xs, ys = _series(rs, variant, "mem", True)
            if xs:
                axes[1][col].plot(xs, [y / 1e3 for y in ys], marker="o", label=variant, **_style(variant))
        axes[0][col].set_title(f"(e) {kind}: time per item")
        axes[0][col].set_ylabel("µs per item")
        axes[1][col].set_title(f"(e) {kind}: peak memory per item")
        axes[1][col].set_ylabel("kB per item (peak during the run)")
        for ax in (axes[0][col], axes[1][col]):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("items (W)")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def server_plot(results: dict[str, Any], path: Path) -> bool:
    srv = results.get("server")
    if not srv:
        return False
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, label in (("stepstream", "stepstream (uvicorn, SQLite)"), ("mastra", "Mastra (Hono, LibSQL)")):
        firsts = sorted(f * 1000 for f in srv[name]["firsts"])
        ax.plot(firsts, [(i + 1) / len(firsts) for i in range(len(firsts))], label=label, **_style(name))
    ax.set_xscale("log")
    ax.set_xlabel("first-event latency, ms (request sent -> first record)")
    ax.set_ylabel("fraction of streams")
    ax.set_title(f"(h) {srv['runs']} concurrent streaming runs x {srv['rounds']} rounds: latency distribution")
    ax.axhline(0.99, color="grey", linewidth=0.8, linestyle=":")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def durable_plot(results: dict[str, Any], path: Path) -> None:
    rs = [r for r in rows(results, "durable") if not r.get("error") and r["samples"].get("s")]
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(rs) + 1.5))
    names = [r["variant"] for r in rs]
    vals = [(value(r) or 0) * 1000 for r in rs]
    colors = ["black" if n.startswith("stepstream") else "tab:blue" for n in names]
    ax.barh(names, vals, color=colors)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("ms per 3-step run, every step committed (median)")
    ax.set_title("(c) durable 3-step runs")
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render(results: dict[str, Any], out: Path) -> list[str]:
    """Writes the plots into `out`; returns the file names written."""
    out.mkdir(parents=True, exist_ok=True)
    names = ["chain.png", "fanout.png", "durable.png"]
    chain_plot(results, out / "chain.png")
    fanout_plot(results, out / "fanout.png")
    durable_plot(results, out / "durable.png")
    if server_plot(results, out / "server.png"):
        names.append("server.png")
    return names
