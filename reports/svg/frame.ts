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
export function chartRoot(
  given: ChartBox,
  meta: { chart: string; title: string },
  children: Markup[],
): Markup {
  // Widen the chart rather than let its title run past the edge.
  const box = { ...given, width: Math.max(given.width, titleWidth(meta.title) + 16) };
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
      el("text", { x: 8, y: 18, class: "chart-title" }, [text(meta.title)]),
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

/**
 * Width of `label` at the charts' 11 px font, over-estimated (no layout engine here): 7 px per
 * character is wider than DejaVu Sans and system-ui glyphs at that size, so text never overflows.
 */
export function textWidth(label: string): number {
  return label.length * 7;
}

/** Width of a chart title (13 px, semibold), over-estimated the same way. */
function titleWidth(label: string): number {
  return label.length * 9;
}

/** Height of one legend row. */
const LEGEND_ROW_PX = 16;

/** `base` grown downwards by the legend rows `items` need below the axis. */
export function withLegendRows(base: ChartBox, items: readonly { label: string }[]): ChartBox {
  const rows = legendRows(items, base.width);
  return {
    ...base,
    height: base.height + rows * LEGEND_ROW_PX + 8,
    marginBottom: base.marginBottom + rows * LEGEND_ROW_PX + 8,
  };
}

/** Legend rows `items` need in a chart `width` wide: every entry is drawn, wrapping as needed. */
function legendRows(items: readonly { label: string }[], width: number): number {
  return layoutLegend(items, 12, width - 12).rows;
}

function layoutLegend(
  items: readonly { label: string }[],
  left: number,
  right: number,
): { rows: number; positions: { x: number; row: number }[] } {
  let x = left;
  let row = 0;
  const positions: { x: number; row: number }[] = [];
  for (const item of items) {
    const w = 14 + textWidth(item.label) + 12;
    if (x > left && x + w > right) {
      row += 1;
      x = left;
    }
    positions.push({ x, row });
    x += w;
  }
  return { rows: items.length === 0 ? 0 : row + 1, positions };
}

/**
 * The legend: one swatch and full label per series, wrapping onto as many rows as needed from
 * `topY` down, between `left` and `right`. Callers reserve {@link legendRows} rows of space.
 */
export function legend(
  items: readonly { label: string; color: string; dashed?: boolean }[],
  bounds: { readonly left: number; readonly right: number; readonly topY: number },
): Markup[] {
  const out: Markup[] = [];
  const { positions } = layoutLegend(items, bounds.left, bounds.right);
  items.forEach((item, i) => {
    const { x, row } = positions[i]!;
    const y = bounds.topY + row * LEGEND_ROW_PX;
    out.push(
      el("g", { class: "legend-item" }, [
        el("rect", { x, y: y - 9, width: 10, height: 10, fill: item.color }),
        el("text", { x: x + 14, y, class: "legend" }, [text(item.label)]),
      ]),
    );
  });
  return out;
}
