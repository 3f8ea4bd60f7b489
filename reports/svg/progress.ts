/** Background-work progress (pvmove, resync, merge) over virtual time, with fault markers. */
import { formatNs } from "../format.js";
import type { Timeline } from "../summarize.js";
import { el, type Markup, num, text } from "./element.js";
import { type ChartBox, chartRoot, clip, DEFAULT_BOX, legend, plotArea, yGrid } from "./frame.js";
import { FAULT_COLOR, seriesColor } from "./palette.js";
import { linearScale } from "./scale.js";

/** Most fault markers drawn on one chart; the rest are counted in the title. */
export const MAX_FAULT_MARKERS = 100;
/** Most series drawn on one chart. */
export const MAX_SERIES = 8;

/** Renders a case's progress lines (0–100%) against virtual time, with a dashed marker per fault. */
export function renderProgressChart(timeline: Timeline, options: { title: string; box?: ChartBox }): Markup {
  const box = options.box ?? { ...DEFAULT_BOX, width: 560 };
  const area = plotArea(box);
  const series = timeline.series.slice(0, MAX_SERIES);
  const faults = timeline.faults.slice(0, MAX_FAULT_MARKERS);
  const times = [...series.flatMap((s) => s.points.map((p) => p.tNs)), ...faults.map((f) => f.tNs)];
  const x = linearScale([0, Math.max(...times, 1)], [area.left, area.right]);
  const y = linearScale([0, 100], [area.bottom, area.top], { tickCount: 4 });
  const children: Markup[] = [...yGrid(y, area, (v) => `${v}%`)];
  for (const tick of x.ticks) {
    children.push(
      el("text", { class: "tick", x: x(tick), y: area.bottom + 16, "text-anchor": "middle" }, [
        text(formatNs(tick, 2)),
      ]),
    );
  }
  children.push(
    el(
      "text",
      { class: "axis-label", x: (area.left + area.right) / 2, y: box.height - 8, "text-anchor": "middle" },
      [text("virtual time")],
    ),
  );
  faults.forEach((fault, index) => {
    const px = x(fault.tNs);
    const where = fault.target ? ` on ${fault.target}` : "";
    const detail = fault.detail ? ` (${fault.detail})` : "";
    children.push(
      el("g", { class: "fault-marker" }, [
        el("title", {}, [text(`${fault.kind}${where} at ${formatNs(fault.tNs)}${detail}`)]),
        el("line", { class: "fault", x1: px, x2: px, y1: area.top, y2: area.bottom, stroke: FAULT_COLOR }),
        el(
          "text",
          { class: "fault-label", x: px + 3, y: area.top + 10 + (index % 4) * 11, fill: FAULT_COLOR },
          [text(clip(fault.kind, 18))],
        ),
      ]),
    );
  });
  series.forEach((line, index) => {
    const color = seriesColor(index);
    const d = line.points
      .map((p, i) => `${i === 0 ? "M" : "L"}${num(x(p.tNs))},${num(y(p.percent))}`)
      .join(" ");
    const name = line.lv ? `${line.kind} ${line.lv}` : line.kind;
    const last = line.points[line.points.length - 1];
    children.push(
      el("g", { class: "progress" }, [
        el("title", {}, [
          text(`${name}: ${last ? `${last.percent}% at ${formatNs(last.tNs)}` : "no samples"}`),
        ]),
        el("path", { class: "line", d, stroke: color, fill: "none" }),
      ]),
    );
  });
  const items = series.map((s, i) => ({ label: s.lv ? `${s.kind} ${s.lv}` : s.kind, color: seriesColor(i) }));
  if (faults.length > 0) items.push({ label: "fault", color: FAULT_COLOR });
  children.push(...legend(items, area));
  const hidden = timeline.faults.length - faults.length;
  const title = hidden > 0 ? `${options.title} (${hidden} more faults not drawn)` : options.title;
  return chartRoot(box, { chart: "progress", title }, children);
}
