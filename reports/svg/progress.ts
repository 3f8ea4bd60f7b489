/**
 * Background-work progress (pvmove, resync, merge) over virtual time, with fault markers. Progress
 * that falls between two samples (a power cut restarting the copy) is drawn as a vertical drop at
 * the fault marker between them, not as a slope: nothing was copied backwards in between.
 */
import { formatNs } from "../format.js";
import type { FaultRecord } from "../records.js";
import type { ProgressSeries, Timeline } from "../summarize.js";
import { el, type Markup, num, text } from "./element.js";
import {
  type ChartBox,
  chartRoot,
  DEFAULT_BOX,
  legend,
  plotArea,
  textWidth,
  withLegendRows,
  yGrid,
} from "./frame.js";
import { FAULT_COLOR, seriesColor } from "./palette.js";
import { linearScale } from "./scale.js";

/** Most fault markers drawn on one chart; the rest are counted in the title. */
const MAX_FAULT_MARKERS = 100;
/** Most series drawn on one chart. */
const MAX_SERIES = 8;

/**
 * The points of a progress line as drawn: where progress falls from one sample to the next, it
 * holds its level until the first fault in between (or the later sample when there is none) and
 * drops there.
 */
export function progressPath(
  series: ProgressSeries,
  faults: readonly Pick<FaultRecord, "tNs">[],
): { tNs: number; percent: number }[] {
  const out: { tNs: number; percent: number }[] = [];
  series.points.forEach((point, i) => {
    const previous = series.points[i - 1];
    if (previous !== undefined && point.percent < previous.percent) {
      const fault = faults.find((f) => f.tNs >= previous.tNs && f.tNs <= point.tNs);
      const dropNs = fault?.tNs ?? point.tNs;
      out.push({ tNs: dropNs, percent: previous.percent }, { tNs: dropNs, percent: point.percent });
    }
    out.push(point);
  });
  return out;
}

/** The name of a series in legends and titles, e.g. "pvmove vg0/lv0". */
function seriesName(series: Pick<ProgressSeries, "kind" | "lv">): string {
  return series.lv ? `${series.kind} ${series.lv}` : series.kind;
}

/** Renders a case's progress lines (0–100%) against virtual time, with a dashed marker per fault. */
export function renderProgressChart(timeline: Timeline, options: { title: string; box?: ChartBox }): Markup {
  const base = options.box ?? { ...DEFAULT_BOX, width: 560 };
  const series = timeline.series.slice(0, MAX_SERIES);
  const faults = timeline.faults.slice(0, MAX_FAULT_MARKERS);
  const items = series.map((s, i) => ({ label: seriesName(s), color: seriesColor(i) }));
  const faultKinds = [...new Set(faults.map((f) => f.kind))];
  if (faultKinds.length > 0) items.push({ label: `fault: ${faultKinds.join(", ")}`, color: FAULT_COLOR });
  const box = withLegendRows(base, items);
  const area = plotArea(box);
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
      { class: "axis-label", x: (area.left + area.right) / 2, y: area.bottom + 32, "text-anchor": "middle" },
      [text("virtual time")],
    ),
  );
  const mid = (area.left + area.right) / 2;
  faults.forEach((fault, index) => {
    const px = x(fault.tNs);
    const where = fault.target ? ` on ${fault.target}` : "";
    const detail = fault.detail ? ` (${fault.detail})` : "";
    // Labels right of the marker in the left half, left of it in the right half: never past the edge.
    const rightSide = px < mid || px + 3 + textWidth(fault.kind) <= area.right;
    children.push(
      el("g", { class: "fault-marker" }, [
        el("title", {}, [text(`${fault.kind}${where} at ${formatNs(fault.tNs)}${detail}`)]),
        el("line", { class: "fault", x1: px, x2: px, y1: area.top, y2: area.bottom, stroke: FAULT_COLOR }),
        el(
          "text",
          {
            class: "fault-label",
            x: rightSide ? px + 3 : px - 3,
            y: area.top + 10 + (index % 4) * 11,
            fill: FAULT_COLOR,
            "text-anchor": rightSide ? "start" : "end",
          },
          [text(fault.kind)],
        ),
      ]),
    );
  });
  series.forEach((line, index) => {
    const color = seriesColor(index);
    const d = progressPath(line, faults)
      .map((p, i) => `${i === 0 ? "M" : "L"}${num(x(p.tNs))},${num(y(p.percent))}`)
      .join(" ");
    const last = line.points[line.points.length - 1];
    children.push(
      el("g", { class: "progress" }, [
        el("title", {}, [
          text(`${seriesName(line)}: ${last ? `${last.percent}% at ${formatNs(last.tNs)}` : "no samples"}`),
        ]),
        el("path", { class: "line", d, stroke: color, fill: "none" }),
      ]),
    );
  });
  children.push(...legend(items, { left: 12, right: box.width - 12, topY: area.bottom + 52 }));
  const hidden = timeline.faults.length - faults.length;
  const title = hidden > 0 ? `${options.title} (${hidden} more faults not drawn)` : options.title;
  return chartRoot(box, { chart: "progress", title }, children);
}
