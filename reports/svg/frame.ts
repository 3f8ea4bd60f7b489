/** The frame every chart shares: the root element, plot area, gridlines and axis labels. */
import { el, type Markup, text } from "./element.js";
import type { Scale } from "./scale.js";

/** Outer size and margins of a chart, in SVG user units (CSS pixels at 100%). */
export interface ChartBox {
  readonly width: number;
  readonly height: number;
  readonly marginLeft: number;
  readonly marginRight: number;
  readonly marginTop: number;
  readonly marginBottom: number;
}

/** The default box: small enough to put two or three charts side by side. */
export const DEFAULT_BOX: ChartBox = {
  width: 420,
  height: 260,
  marginLeft: 64,
  marginRight: 28,
  marginTop: 48,
  marginBottom: 48,
};

/** Pixel bounds of the plot area inside a box. */
export interface PlotArea {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/** The plot area of a box. */
export function plotArea(box: ChartBox): PlotArea {
  return {
    left: box.marginLeft,
    right: box.width - box.marginRight,
    top: box.marginTop,
    bottom: box.height - box.marginBottom,
  };
}

/**
 * The root `<svg>` with an accessible title; `chart` names the chart kind (data-chart) so tests
 * and the Chromium check can find each chart.
 */
export function chartRoot(box: ChartBox, meta: { chart: string; title: string }, children: Markup[]): Markup {
  return el(
    "svg",
    {
      xmlns: "http://www.w3.org/2000/svg",
      viewBox: `0 0 ${box.width} ${box.height}`,
      width: box.width,
      height: box.height,
      role: "img",
      "aria-label": meta.title,
      "data-chart": meta.chart,
      class: "chart",
    },
    [
      el("title", {}, [text(meta.title)]),
      el("text", { x: box.marginLeft, y: 18, class: "chart-title" }, [text(meta.title)]),
      ...children,
    ],
  );
}

/** Horizontal gridlines and labels for a y scale. */
export function yGrid(scale: Scale, area: PlotArea, format: (value: number) => string): Markup[] {
  const out: Markup[] = [];
  for (const tick of scale.ticks) {
    const y = scale(tick);
    out.push(el("line", { x1: area.left, x2: area.right, y1: y, y2: y, class: "grid" }));
    out.push(
      el("text", { x: area.left - 6, y: y + 4, class: "tick", "text-anchor": "end" }, [text(format(tick))]),
    );
  }
  out.push(el("line", { x1: area.left, x2: area.left, y1: area.top, y2: area.bottom, class: "axis" }));
  out.push(el("line", { x1: area.left, x2: area.right, y1: area.bottom, y2: area.bottom, class: "axis" }));
  return out;
}

/** Shortens a label to `maxChars`, marking the cut with an ellipsis (the full text goes in <title>). */
export function clip(label: string, maxChars: number): string {
  return label.length <= maxChars ? label : `${label.slice(0, Math.max(1, maxChars - 1))}…`;
}

/** Most legend entries drawn; charts cap their series below this anyway. */
const MAX_LEGEND_ITEMS = 10;

/** A legend row of coloured swatches and labels just above the plot area, left to right. */
export function legend(items: readonly { label: string; color: string }[], area: PlotArea): Markup[] {
  const out: Markup[] = [];
  let x = area.left;
  const y = area.top - 10;
  for (const item of items.slice(0, MAX_LEGEND_ITEMS)) {
    const label = clip(item.label, 24);
    // Approximate text width (no layout engine here): about 6 px per character at 11 px.
    if (x + 14 + label.length * 6 > area.right) break;
    out.push(el("rect", { x, y: y - 8, width: 10, height: 10, fill: item.color }));
    out.push(el("text", { x: x + 14, y: y + 1, class: "legend" }, [text(label)]));
    x += 14 + label.length * 6 + 12;
  }
  return out;
}
