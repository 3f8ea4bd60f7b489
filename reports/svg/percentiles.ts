/** Latency percentile curves (p50 … p99.9 … max) on a log latency axis, one line per series. */
import { formatNs } from "../format.js";
import { el, type Markup, num, text } from "./element.js";
import { type ChartBox, chartRoot, DEFAULT_BOX, legend, plotArea, withLegendRows, yGrid } from "./frame.js";
import { seriesColor } from "./palette.js";
import { linearScale, logScale } from "./scale.js";

/** One point of a percentile curve. */
export interface PercentilePoint {
  readonly label: string;
  /** The percentile as a fraction, e.g. 0.999 for p99.9; `max` is drawn one decade past the last. */
  readonly fraction: number;
  readonly valueNs: number;
}

/** One curve: a config's latency percentiles. */
export interface PercentileSeries {
  readonly label: string;
  readonly points: readonly PercentilePoint[];
}

/** Most curves in one chart. */
const MAX_CURVES = 8;

/** Position on the x axis: the number of nines, so p90 → 1, p99 → 2, p99.9 → 3. */
export function ninesOf(fraction: number): number {
  if (!(fraction > 0 && fraction < 1))
    throw new RangeError(`Percentile fraction ${fraction} must be in (0, 1)`);
  return -Math.log10(1 - fraction);
}

/** Renders latency percentile curves; every point must be positive (a log axis cannot show 0). */
export function renderPercentileChart(
  series: readonly PercentileSeries[],
  options: { title: string; box?: ChartBox },
): Markup {
  if (series.length > MAX_CURVES) {
    throw new RangeError(
      `Percentile chart "${options.title}" has ${series.length} curves, over ${MAX_CURVES}`,
    );
  }
  const base = options.box ?? DEFAULT_BOX;
  const items = series.map((s, i) => ({ label: s.label, color: seriesColor(i) }));
  // Every series is named: the legend wraps below the axis onto as many rows as it needs.
  const box = withLegendRows(base, items);
  const area = plotArea(box);
  const all = series.flatMap((s) => s.points);
  // A zero latency (an idle cell) sits on the axis floor rather than breaking the log scale.
  const values = all.map((p) => Math.max(p.valueNs, 1));
  const domain: [number, number] =
    values.length > 0 ? [Math.min(...values), Math.max(...values)] : [1e3, 1e6];
  const y = logScale(domain, [area.bottom, area.top]);
  const labelled = series[0]?.points ?? [];
  const nines = all.map((p) => ninesOf(p.fraction));
  const x = linearScale([Math.min(...nines, 0), Math.max(...nines, 1)], [area.left + 12, area.right - 12]);
  const children: Markup[] = [...yGrid(y, area, (v) => formatNs(v, 2))];
  for (const point of labelled) {
    const px = x(ninesOf(point.fraction));
    children.push(el("line", { class: "grid", x1: px, x2: px, y1: area.top, y2: area.bottom }));
    children.push(
      el("text", { class: "tick", x: px, y: area.bottom + 16, "text-anchor": "middle" }, [text(point.label)]),
    );
  }
  children.push(
    el(
      "text",
      { class: "axis-label", x: (area.left + area.right) / 2, y: area.bottom + 32, "text-anchor": "middle" },
      [text("percentile")],
    ),
  );
  series.forEach((curve, index) => {
    const color = seriesColor(index);
    const coords = curve.points.map((p) => [x(ninesOf(p.fraction)), y(Math.max(p.valueNs, 1))] as const);
    const d = coords.map(([px, py], i) => `${i === 0 ? "M" : "L"}${num(px)},${num(py)}`).join(" ");
    children.push(
      el("g", { class: "curve" }, [
        el("title", {}, [
          text(`${curve.label}: ${curve.points.map((p) => `${p.label} ${formatNs(p.valueNs)}`).join(", ")}`),
        ]),
        el("path", { class: "line", d, stroke: color, fill: "none" }),
        ...coords.map(([px, py]) => el("circle", { class: "dot", cx: px, cy: py, r: 3, fill: color })),
      ]),
    );
  });
  children.push(...legend(items, { left: 12, right: box.width - 12, topY: area.bottom + 52 }));
  return chartRoot(box, { chart: "percentiles", title: options.title }, children);
}
