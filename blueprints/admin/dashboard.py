"""The staff dashboard: what needs attention, and a server-drawn SVG chart of orders and licenses per week."""
from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import format_date

from blueprints import render
from blueprints.admin import bp
from services import dashboard

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 56  # room for the axis labels


@dataclass(frozen=True)
class Point:
    week: dashboard.Week
    label: str       # the week's start, short ("17 Nov")
    x: float         # centre of the week's column
    bar_x: float
    bar_y: float
    bar_height: float
    dot_y: float


@dataclass(frozen=True)
class Chart:
    points: list[Point]
    ticks: list[tuple[int, float]]  # (value, y)
    line: str                       # the orders polyline's "points" attribute
    bar_width: float
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


@bp.get("/")
def index():
    weeks = dashboard.weekly_activity()
    return render("admin/index.html", counts=dashboard.attention(), chart=build_chart(weeks))


def build_chart(weeks: list[dashboard.Week]) -> Chart:
    """Place licenses as bars and orders as a line on one scale with whole-number ticks."""
    step = _tick_step(max([w.licenses for w in weeks] + [w.orders for w in weeks] + [1]))
    top_value = step * math.ceil(max([w.licenses for w in weeks] + [w.orders for w in weeks] + [1]) / step)
    plot_h, column = HEIGHT - BOTTOM - TOP, (WIDTH - LEFT - RIGHT) / len(weeks)

    def y(value: int) -> float:
        return round(TOP + plot_h * (1 - value / top_value), 1)

    points = []
    for n, week in enumerate(weeks):
        x = LEFT + column * (n + 0.5)
        points.append(Point(week, format_date(week.start, "d MMM"), round(x, 1), round(x - column * 0.3, 1),
                            y(week.licenses), round(plot_h * week.licenses / top_value, 1), y(week.orders)))
    ticks = [(value, y(value)) for value in range(0, top_value + 1, step)]
    line = " ".join(f"{p.x},{p.dot_y}" for p in points)
    return Chart(points, ticks, line, round(column * 0.6, 1))


def _tick_step(maximum: int) -> int:
    """1, 2, 5, 10, 20, 50... so that about four ticks cover `maximum`."""
    raw = max(maximum / 4, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
