/** Bar chart with error bars: mean throughput per config with its 95% confidence interval. */
import { el, type Markup, text } from "./element.js";
import { type ChartBox, chartRoot, clip, DEFAULT_BOX, plotArea, yGrid } from "./frame.js";
import { seriesColor } from "./palette.js";
import { linearScale } from "./scale.js";

/** One bar: a mean and the interval drawn as its error bar. */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly low: number;
  readonly high: number;
  /** Extra text for the hover title, e.g. "n=3, 0.98× linear". */
  readonly detail?: string;
}

/** Options of a bar chart. */
export interface BarChartOptions {
  readonly title: string;
  readonly format: (value: number) => string;
  readonly box?: ChartBox;
}

/** Most bars in one chart; more would be unreadable at this size. */
export const MAX_BARS = 12;

/** Renders bars left to right in the given order, with whiskers from `low` to `high`. */
export function renderBarChart(bars: readonly Bar[], options: BarChartOptions): Markup {
  if (bars.length > MAX_BARS) {
    throw new RangeError(`Bar chart "${options.title}" has ${bars.length} bars, over the ${MAX_BARS} limit`);
  }
  const box = options.box ?? DEFAULT_BOX;
  const area = plotArea(box);
  const top = Math.max(0, ...bars.map((b) => Math.max(b.high, b.value)));
  const y = linearScale([0, top > 0 ? top : 1], [area.bottom, area.top]);
  const slot = (area.right - area.left) / Math.max(bars.length, 1);
  const barWidth = Math.min(48, slot * 0.6);
  const children: Markup[] = [...yGrid(y, area, options.format)];
  bars.forEach((bar, index) => {
    for (const [name, value] of [
      ["value", bar.value],
      ["low", bar.low],
      ["high", bar.high],
    ] as const) {
      if (!Number.isFinite(value) || value < 0) {
        throw new RangeError(
          `Bar "${bar.label}" in "${options.title}" has ${name} ${value}; must be finite and >= 0`,
        );
      }
    }
    const centre = area.left + slot * (index + 0.5);
    const yValue = y(bar.value);
    const tip = `${bar.label}: ${options.format(bar.value)} (95% CI ${options.format(bar.low)} – ${options.format(bar.high)})${bar.detail ? `, ${bar.detail}` : ""}`;
    children.push(
      el("g", { class: "bar-group" }, [
        el("title", {}, [text(tip)]),
        el("rect", {
          class: "bar",
          x: centre - barWidth / 2,
          y: yValue,
          width: barWidth,
          height: Math.max(area.bottom - yValue, 0),
          fill: seriesColor(index),
        }),
        el("line", { class: "error-bar", x1: centre, x2: centre, y1: y(bar.low), y2: y(bar.high) }),
        el("line", { class: "error-bar", x1: centre - 6, x2: centre + 6, y1: y(bar.low), y2: y(bar.low) }),
        el("line", { class: "error-bar", x1: centre - 6, x2: centre + 6, y1: y(bar.high), y2: y(bar.high) }),
        el("text", { class: "value", x: centre, y: y(bar.high) - 5, "text-anchor": "middle" }, [
          text(options.format(bar.value)),
        ]),
        el("text", { class: "tick", x: centre, y: area.bottom + 16, "text-anchor": "middle" }, [
          text(clip(bar.label, Math.max(4, Math.floor(slot / 7)))),
        ]),
      ]),
    );
  });
  return chartRoot(box, { chart: "bars", title: options.title }, children);
}
