"""A PNG chart of an assessment: self score against the maximum, area by area."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from criteria.scoring import format_points

AreaBar = tuple[str, str, Decimal, Decimal]  # code, title, points, max


def area_chart(areas: Sequence[AreaBar], *, title: str, subtitle: str = "") -> bytes:
    """Horizontal bars, one pair per area (maximum behind, score in front) → PNG bytes.

    matplotlib is imported here, not at module level: it costs about a second and only this
    chart needs it. The Figure is used without pyplot, so nothing global is touched and the
    function is safe to run in a worker thread.
    """
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # DejaVu Sans (shipped with matplotlib) covers every Vietnamese letter and tone mark.
    with rc_context({"font.family": "DejaVu Sans"}):
        return _draw(Figure, FigureCanvasAgg, areas, title, subtitle)


def _draw(figure: Any, canvas: Any, areas: Sequence[AreaBar], title: str, subtitle: str) -> bytes:
    bars = [a for a in areas if a[3] > 0]
    height = 1.6 + 0.75 * max(len(bars), 1)
    fig = figure(figsize=(10, height), dpi=110)
    canvas(fig)
    ax = fig.add_subplot()
    labels = [
        "\n".join(textwrap.wrap(f"{code}. {name}", width=42, max_lines=2, placeholder="…"))
        for code, name, _, _ in bars
    ]
    positions = list(range(len(bars)))[::-1]  # the first area on top
    maxima = [float(m) for _, _, _, m in bars]
    points = [float(p) for _, _, p, _ in bars]
    ax.barh(positions, maxima, height=0.6, color="#d9d9d9", label="Điểm tối đa")
    ax.barh(positions, points, height=0.6, color="#2f75b5", label="Điểm tự chấm")
    for y, (_, _, p, m) in zip(positions, bars, strict=True):
        ax.text(
            float(m) + max(maxima) * 0.01,
            y,
            f"{format_points(p)}/{format_points(m)}",
            va="center",
            fontsize=9,
        )
    ax.set_yticks(positions, labels, fontsize=9)
    ax.set_xlim(0, max(maxima, default=1) * 1.15)
    ax.set_xlabel("Điểm")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=9, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(title + (f"\n{subtitle}" if subtitle else ""), fontsize=12)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
