"""Server-rendered bar charts (the council's figures, issue 16): the geometry of a horizontal bar chart
for an SVG template, so a chart needs no JavaScript and no library. The chart is never the only form
of a figure: its table is the source of truth. Each bar carries its value as text, and a target is a
dashed line with its label, so the chart reads in greyscale and without colour."""

from dataclasses import dataclass

LABEL_WIDTH = 230
BAR_AREA = 380
VALUE_GAP = 6
ROW_HEIGHT = 26
BAR_HEIGHT = 16
TOP = 24
LABEL_CHARACTERS = 34


@dataclass(frozen=True)
class Bar:
    label: str
    value: str
    x: int
    y: int
    width: int
    height: int
    text_y: int
    value_x: int


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    axis_x: int
    axis_bottom: int
    target_x: int | None
    target_label: str


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1].rstrip() + "…"


def _number(value: float) -> str:
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def bar_chart(
    labels: list[str], values: list[int | float], *, target: float | None = None, target_label: str = ""
) -> BarChart:
    """One bar per label, longest value the full width (or the target, when it is larger)."""
    largest = max([*values, target or 0, 0]) or 1
    bars = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + index * ROW_HEIGHT
        width = round(BAR_AREA * value / largest)
        bars.append(
            Bar(
                label=_short(label),
                value=_number(value),
                x=LABEL_WIDTH,
                y=y,
                width=width,
                height=BAR_HEIGHT,
                text_y=y + BAR_HEIGHT - 3,
                value_x=LABEL_WIDTH + width + VALUE_GAP,
            )
        )
    bottom = TOP + len(bars) * ROW_HEIGHT
    target_x = None if target is None else LABEL_WIDTH + round(BAR_AREA * target / largest)
    return BarChart(
        width=LABEL_WIDTH + BAR_AREA + 90,
        height=bottom + 8,
        bars=bars,
        axis_x=LABEL_WIDTH,
        axis_bottom=bottom,
        target_x=target_x,
        target_label=target_label,
    )
