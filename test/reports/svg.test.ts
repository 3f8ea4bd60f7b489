import { describe, expect, it } from "vitest";
import { renderBarChart } from "../../reports/svg/bars.js";
import { el, num, text } from "../../reports/svg/element.js";
import { ninesOf, renderPercentileChart } from "../../reports/svg/percentiles.js";
import { progressPath, renderProgressChart } from "../../reports/svg/progress.js";
import { linearScale, logScale, niceStep } from "../../reports/svg/scale.js";

function attrValues(svg: string, selector: RegExp, attr: string): number[] {
  return [...svg.matchAll(selector)].map((m) => {
    const value = new RegExp(`\\s${attr}="([^"]*)"`).exec(m[0])?.[1];
    if (value === undefined) throw new Error(`No ${attr} in ${m[0]}`);
    return Number(value);
  });
}

describe("scales", () => {
  it("picks 1-2-5 steps", () => {
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(7, 5)).toBe(2);
    expect(niceStep(0.3, 3)).toBeCloseTo(0.1, 12);
  });

  it("maps a linear domain onto a pixel range with nice ticks that cover the data", () => {
    const y = linearScale([0, 168], [200, 0]);
    expect(y.ticks).toEqual([0, 50, 100, 150, 200]);
    expect(y(0)).toBe(200);
    expect(y(200)).toBe(0);
    expect(y(100)).toBe(100);
  });

  it("maps a log domain over whole decades", () => {
    const y = logScale([780_000, 38_000_000], [100, 0]);
    expect(y.ticks).toEqual([1e5, 1e6, 1e7, 1e8]);
    expect(y(1e5)).toBe(100);
    expect(y(1e8)).toBe(0);
    expect(y(1e6)).toBeCloseTo(100 - 100 / 3, 10);
    expect(() => logScale([0, 10], [0, 1])).toThrow(/positive domain/);
  });

  it("places percentiles by their number of nines", () => {
    expect(ninesOf(0.9)).toBeCloseTo(1, 12);
    expect(ninesOf(0.999)).toBeCloseTo(3, 12);
    expect(() => ninesOf(1)).toThrow(/\(0, 1\)/);
  });
});

describe("markup builder", () => {
  it("formats coordinates byte-stably", () => {
    expect(num(1)).toBe("1");
    expect(num(1.005)).toBe("1");
    expect(num(2.5)).toBe("2.5");
    expect(num(-0.001)).toBe("0");
    expect(() => num(Number.NaN)).toThrow(/non-finite/);
  });

  it("escapes attributes and text, and closes HTML elements explicitly", () => {
    expect(el("td", { title: '"x"' }, [text("<&>")]).html).toBe(
      '<td title="&quot;x&quot;">&lt;&amp;&gt;</td>',
    );
    expect(el("p").html).toBe("<p></p>");
    expect(el("rect", { x: 1.234 }).html).toBe('<rect x="1.23"/>');
    expect(() => el("a b")).toThrow(/Invalid element name/);
  });
});

describe("charts", () => {
  it("draws bar lengths proportional to values, with error bars spanning the CI and full labels", () => {
    const svg = renderBarChart(
      [
        { label: "linear", value: 100, low: 95, high: 105 },
        { label: "snapshot", value: 50, low: 45, high: 55 },
      ],
      { title: "t", format: String },
    ).html;
    const widths = attrValues(svg, /<rect class="bar"[^>]*>/g, "width");
    expect(widths).toHaveLength(2);
    expect(widths[0]! / widths[1]!).toBeCloseTo(2, 1);
    const errorY = attrValues(svg, /<line class="error-bar"[^>]*>/g, "y1");
    expect(errorY).toHaveLength(6);
    expect(svg).toContain(">snapshot</text>");
    expect(svg).not.toContain("…");
    expect(svg).toContain('data-chart="bars"');
  });

  it("refuses negative or non-finite bars and too many bars", () => {
    expect(() =>
      renderBarChart([{ label: "x", value: -1, low: -1, high: 0 }], { title: "t", format: String }),
    ).toThrow(/value -1/);
    const many = Array.from({ length: 25 }, (_, i) => ({ label: `c${i}`, value: 1, low: 1, high: 1 }));
    expect(() => renderBarChart(many, { title: "t", format: String })).toThrow(/25 bars/);
  });

  it("draws percentile curves rising left to right for rising latencies", () => {
    const svg = renderPercentileChart(
      [
        {
          label: "linear",
          points: [
            { label: "p50", fraction: 0.5, valueNs: 1e5 },
            { label: "p99", fraction: 0.99, valueNs: 1e6 },
            { label: "p99.9", fraction: 0.999, valueNs: 1e7 },
          ],
        },
      ],
      { title: "lat" },
    ).html;
    const xs = attrValues(svg, /<circle [^>]*>/g, "cx");
    const ys = attrValues(svg, /<circle [^>]*>/g, "cy");
    expect(xs[0]!).toBeLessThan(xs[1]!);
    expect(xs[1]!).toBeLessThan(xs[2]!);
    // SVG y grows downwards: higher latency is drawn higher up.
    expect(ys[0]!).toBeGreaterThan(ys[1]!);
    // Equal decades are equal distances on the log axis.
    expect(ys[0]! - ys[1]!).toBeCloseTo(ys[1]! - ys[2]!, 1);
  });

  it("draws one dashed marker per fault at its virtual time", () => {
    const svg = renderProgressChart(
      {
        scenario: "s",
        seed: 1,
        series: [
          {
            kind: "pvmove",
            lv: undefined,
            points: [
              { tNs: 0, percent: 0 },
              { tNs: 1e9, percent: 100 },
            ],
          },
        ],
        faults: [
          { type: "fault", scenario: "s", seed: 1, kind: "power-cut", tNs: 5e8 },
          { type: "fault", scenario: "s", seed: 1, kind: "pv-loss", tNs: 1e9 },
        ],
      },
      { title: "p" },
    ).html;
    const x = attrValues(svg, /<line class="fault"[^>]*>/g, "x1");
    expect(x).toHaveLength(2);
    const left = 64;
    // The fault at half the time span sits half-way across the plot area.
    expect((x[0]! - left) / (x[1]! - left)).toBeCloseTo(0.5, 2);
    expect(svg).toContain("<title>power-cut at 500 ms</title>");
  });
});

describe("progress drops", () => {
  it("draws a fall in progress as a vertical drop at the fault marker between the samples", () => {
    const series = {
      kind: "pvmove" as const,
      lv: undefined,
      points: [
        { tNs: 0, percent: 0 },
        { tNs: 100, percent: 60 },
        { tNs: 200, percent: 10 },
        { tNs: 300, percent: 50 },
      ],
    };
    expect(progressPath(series, [{ tNs: 130 }])).toEqual([
      { tNs: 0, percent: 0 },
      { tNs: 100, percent: 60 },
      { tNs: 130, percent: 60 },
      { tNs: 130, percent: 10 },
      { tNs: 200, percent: 10 },
      { tNs: 300, percent: 50 },
    ]);
    // Without a fault in between, the drop sits at the later sample.
    expect(progressPath(series, [])[2]).toEqual({ tNs: 200, percent: 60 });
  });
});
