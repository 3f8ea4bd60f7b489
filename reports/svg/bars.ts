/**
 * Horizontal bar chart: one bar per config with its mean and, when the sample supports one, its 95%
 * interval as an error bar. Labels sit left of the bars in a margin sized to the longest label, so
 * no label is ever cut; the chart grows downwards with the number of bars.
 */
import { el, type Markup, text } from "./element.js";
import { type ChartBox, chartRoot, DEFAULT_BOX, textWidth } from "./frame.js";
import { seriesColor } from "./palette.js";
import { linearScale } from "./scale.js";

/** One bar: a mean and, optionally, the interval drawn as its error bar. */
export interface Bar {
  readonly label: string;
  readonly value: number;
  /** The interval; absent when the sample is too small for one (no error bar is drawn). */
  readonly low?: number;
  readonly high?: number;
  /** Extra text printed after the value and in the hover title, e.g. "n=3, 0.98× linear". */
  readonly detail?: string;
}

/** Options of a bar chart. */
export interface BarChartOptions {
  readonly title: string;
  readonly format: (value: number) => string;
  readonly box?: ChartBox;
}

/** Most bars in one chart. */
const MAX_BARS = 24;
/** Height of one bar's row, in SVG units. */
const ROW_PX = 26;
const BAR_PX = 16;

/** Renders bars top to bottom in the given order, with whiskers from `low` to `high` where given. */
export function renderBarChart(bars: readonly Bar[], options: BarChartOptions): Markup {
  if (bars.length > MAX_BARS) {
    throw new RangeError(`Bar chart "${options.title}" has ${bars.length} bars, over the ${MAX_BARS} limit`);
  }
  const base = options.box ?? DEFAULT_BOX;
  for (const bar of bars) {
    for (const [name, value] of [
      ["value", bar.value],
      ["low", bar.low ?? 0],
      ["high", bar.high ?? 0],
    ] as const) {
      if (!Number.isFinite(value) || value < 0) {
        throw new RangeError(
          `Bar "${bar.label}" in "${options.title}" has ${name} ${value}; must be finite and >= 0`,
        );
      }
    }
  }
  const valueText = (bar: Bar) => `${options.format(bar.value)}${bar.detail ? ` (${bar.detail})` : ""}`;
  const labelWidth = Math.max(40, ...bars.map((b) => textWidth(b.label)));
  const valueWidth = Math.max(40, ...bars.map((b) => textWidth(valueText(b))));
  const left = labelWidth + 16;
  const width = Math.max(base.width, left + 160 + valueWidth + 12);
  const top = 40;
  const height = top + bars.length * ROW_PX + 32;
  const box: ChartBox = { ...base, width, height, marginLeft: left, marginTop: top };
  const right = width - valueWidth - 12;
  const max = Math.max(0, ...bars.map((b) => Math.max(b.high ?? b.value, b.value)));
  const x = linearScale([0, max > 0 ? max : 1], [left, right], { tickCount: 4 });
  const bottom = top + bars.length * ROW_PX;
  const children: Markup[] = [];
  for (const tick of x.ticks) {
    const px = x(tick);
    children.push(el("line", { class: "grid", x1: px, x2: px, y1: top, y2: bottom }));
    children.push(
      el("text", { class: "tick", x: px, y: bottom + 14, "text-anchor": "middle" }, [
        text(options.format(tick)),
      ]),
    );
  }
  children.push(el("line", { class: "axis", x1: left, x2: left, y1: top, y2: bottom }));
  bars.forEach((bar, index) => {
    const centre = top + ROW_PX * (index + 0.5);
    const end = x(bar.value);
    const interval =
      bar.low !== undefined && bar.high !== undefined
        ? ` (95% CI ${options.format(bar.low)} – ${options.format(bar.high)})`
        : "";
    const parts: Markup[] = [
      el("title", {}, [
        text(`${bar.label}: ${options.format(bar.value)}${interval}${bar.detail ? `, ${bar.detail}` : ""}`),
      ]),
      el("text", { class: "tick label", x: left - 8, y: centre + 4, "text-anchor": "end" }, [
        text(bar.label),
      ]),
      el("rect", {
        class: "bar",
        x: left,
        y: centre - BAR_PX / 2,
        width: Math.max(end - left, 0),
        height: BAR_PX,
        fill: seriesColor(index),
      }),
    ];
    let textX = end;
    if (bar.low !== undefined && bar.high !== undefined) {
      const [lo, hi] = [x(bar.low), x(bar.high)];
      parts.push(el("line", { class: "error-bar", x1: lo, x2: hi, y1: centre, y2: centre }));
      parts.push(el("line", { class: "error-bar", x1: lo, x2: lo, y1: centre - 5, y2: centre + 5 }));
      parts.push(el("line", { class: "error-bar", x1: hi, x2: hi, y1: centre - 5, y2: centre + 5 }));
      textX = Math.max(textX, hi);
    }
    parts.push(el("text", { class: "value", x: textX + 6, y: centre + 4 }, [text(valueText(bar))]));
    children.push(el("g", { class: "bar-group" }, parts));
  });
  return chartRoot(box, { chart: "bars", title: options.title }, children);
}
