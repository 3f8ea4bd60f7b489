import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { renderHtml } from "../../reports/html.js";
import { parseRecords, readRecords } from "../../reports/read-records.js";
import { summarizeRecords } from "../../reports/summarize.js";
import { fixture } from "./helpers.js";

const run = promisify(execFile);
/** Where CI collects the screenshot and the rendered report from. */
const ARTIFACTS = resolve("reports", "out", "artifacts");
const CHROMIUM = process.env.CHROMIUM ?? "chromium";

function chromiumInstalled(): boolean {
  const probe = spawnSync(CHROMIUM, ["--version"], { encoding: "utf8", timeout: 30_000 });
  return probe.error === undefined && probe.status === 0;
}

async function chromium(args: readonly string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), "lvmlab-chromium-"));
  try {
    const { stdout } = await run(
      CHROMIUM,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { timeout: 45_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * Runs in the page of a test-only copy (the report itself has no scripts and forbids them): measures
 * every chart's laid-out geometry and writes it as JSON into <pre id="probe">.
 */
const PROBE_SCRIPT = `<script>
const charts = [...document.querySelectorAll("svg[data-chart]")].map((svg) => {
  const box = svg.getBoundingClientRect();
  return {
    kind: svg.dataset.chart,
    width: box.width,
    height: box.height,
    bars: [...svg.querySelectorAll("rect.bar")].map((r) => r.getBBox().height),
    errorBars: svg.querySelectorAll("line.error-bar").length,
    lines: [...svg.querySelectorAll("path.line")].map((p) => p.getTotalLength()),
    faults: [...svg.querySelectorAll("line.fault")].map((l) => l.getBBox().height),
    viewBox: { width: svg.viewBox.baseVal.width, height: svg.viewBox.baseVal.height },
    texts: [...svg.querySelectorAll("text")].map((t) => {
      const b = t.getBBox();
      return { text: t.textContent, x: b.x, y: b.y, width: b.width, height: b.height };
    }),
    legend: [...svg.querySelectorAll("text.legend")].map((t) => t.textContent),
  };
});
const pre = document.createElement("pre");
pre.id = "probe";
pre.textContent = JSON.stringify(charts);
document.body.append(pre);
</script>`;

interface ChartGeometry {
  kind: string;
  width: number;
  height: number;
  bars: number[];
  errorBars: number;
  lines: number[];
  faults: number[];
  viewBox: { width: number; height: number };
  texts: { text: string; x: number; y: number; width: number; height: number }[];
  legend: string[];
}

/** Lay `html` out in Chromium with the probe script and return every chart's geometry. */
async function probeCharts(html: string): Promise<ChartGeometry[]> {
  const probeDir = mkdtempSync(join(tmpdir(), "lvmlab-probe-"));
  const probePath = join(probeDir, "probe.html");
  const withoutCsp = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\n/, "");
  expect(withoutCsp).not.toBe(html);
  writeFileSync(probePath, withoutCsp.replace("</body>", `${PROBE_SCRIPT}\n</body>`));
  const probed = await chromium(["--dump-dom", pathToFileURL(probePath).href]);
  rmSync(probeDir, { recursive: true, force: true });
  const json = /<pre id="probe">([^<]*)<\/pre>/.exec(probed)?.[1];
  expect(json, "the probe script did not run").toBeDefined();
  return JSON.parse(
    json!
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&"),
  ) as ChartGeometry[];
}

/** Every text of every chart is whole (no ellipsis) and lies inside its chart; every series is in the legend. */
function expectReadable(charts: readonly ChartGeometry[]): void {
  for (const chart of charts) {
    for (const t of chart.texts) {
      const where = `${chart.kind}: "${t.text}"`;
      expect(t.text.endsWith("…"), `${where} is truncated`).toBe(false);
      expect(t.x, `${where} starts left of the chart`).toBeGreaterThanOrEqual(-0.5);
      expect(t.y, `${where} starts above the chart`).toBeGreaterThanOrEqual(-0.5);
      expect(t.x + t.width, `${where} runs past the right edge`).toBeLessThanOrEqual(
        chart.viewBox.width + 0.5,
      );
      expect(t.y + t.height, `${where} runs past the bottom`).toBeLessThanOrEqual(chart.viewBox.height + 0.5);
    }
    if (chart.kind === "percentiles")
      expect(chart.legend, "a curve is missing from the legend").toHaveLength(chart.lines.length);
    if (chart.kind === "progress") {
      expect(chart.legend, "a progress line is missing from the legend").toHaveLength(
        chart.lines.length + (chart.faults.length > 0 ? 1 : 0),
      );
    }
  }
}

const LONG_CONFIGS = [
  "linear",
  "mirror-2leg-core",
  "mirror-2leg-disk",
  "mirror-2leg-core-sharedbus",
  "origin-1snap-4k-first",
  "origin-1snap-64k-first",
  "origin-4snap-512k-overwrite",
  "pvmove",
];

/** A run with long config names, eight curves per chart, and every kind of background work with a crash. */
function writerRecords(): string {
  const lines: object[] = [
    {
      type: "meta",
      schema: 1,
      tool: "lvmlab",
      command: "lvmlab bench overhead --realdm",
      profiles: { "realdm-100mib-1kiops": "realdm-100mib-1kiops: virtual, 100 MiB/s and 1000 IOPS" },
      configs: Object.fromEntries(LONG_CONFIGS.map((c) => [c, `what ${c} is`])),
    },
  ];
  for (const [i, config] of LONG_CONFIGS.entries()) {
    for (let seed = 1; seed <= 5; seed++) {
      const iops = 1000 - i * 60 + seed;
      lines.push({
        type: "bench",
        config,
        workload: "randwrite-4k-qd32",
        profile: "realdm-100mib-1kiops",
        seed,
        repetition: 0,
        iops,
        mbps: (iops * 4096) / 1e6,
        latNs: {
          p50: 3.2e7 + i * 1e6,
          p90: 3.3e7 + i * 1e6,
          p99: 3.5e7 + i * 2e6,
          p999: 4e7 + i * 3e6,
          max: 5e7 + i * 4e6,
        },
        writeAmplification: 1 + i / 4,
        relativeToLinear: iops / 1001,
        ios: 20_000,
        ...(config === "pvmove" ? { caveat: "served in submission order" } : {}),
      });
    }
  }
  for (const [scenario, kind] of [
    ["pvmove-power-cut", "pvmove"],
    ["mirror-resync-cut", "resync"],
    ["snapshot-merge-cut", "merge"],
  ] as const) {
    for (let seed = 1; seed <= 8; seed++) {
      for (let step = 0; step <= 10; step++) {
        // A power cut at step 6 restarts the work from 20%.
        const percent = step < 6 ? step * 10 : 20 + (step - 6) * 20;
        lines.push({
          type: "progress",
          scenario,
          seed,
          kind,
          tNs: step * 1e8,
          percent: Math.min(percent, 100),
        });
      }
      lines.push({ type: "fault", scenario, seed, kind: "power-cut", tNs: 5.5e8, detail: "reboot" });
    }
  }
  return `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
}

describe("HTML report in headless Chromium", () => {
  it("renders every chart with real geometry and saves a screenshot artifact", async (ctx) => {
    if (!chromiumInstalled()) ctx.skip("chromium not installed");
    mkdirSync(ARTIFACTS, { recursive: true });
    const html = renderHtml(summarizeRecords(await readRecords(fixture("results.ndjson"))));
    const reportPath = join(ARTIFACTS, "report.html");
    writeFileSync(reportPath, html);

    const screenshot = join(ARTIFACTS, "report.png");
    rmSync(screenshot, { force: true });
    await chromium([`--screenshot=${screenshot}`, "--window-size=1280,2000", pathToFileURL(reportPath).href]);
    const png = readFileSync(screenshot);
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(1280);
    expect(png.readUInt32BE(20)).toBe(2000);
    // A blank page compresses to a few KiB; charts, tables and text do not.
    expect(statSync(screenshot).size).toBeGreaterThan(50_000);

    const charts = await probeCharts(html);
    expectReadable(charts);

    expect(charts.map((c) => c.kind)).toEqual([
      "bars",
      "bars",
      "percentiles",
      "percentiles",
      "progress",
      "progress",
    ]);
    for (const chart of charts) {
      expect(chart.width, chart.kind).toBeGreaterThan(100);
      expect(chart.height, chart.kind).toBeGreaterThan(100);
    }
    const bars = charts.filter((c) => c.kind === "bars");
    for (const chart of bars) {
      expect(chart.bars).toHaveLength(3);
      for (const height of chart.bars) expect(height).toBeGreaterThan(10);
      // n = 3 samples per cell: too few for an interval, so no error bars are drawn.
      expect(chart.errorBars).toBe(0);
    }
    for (const chart of charts.filter((c) => c.kind === "percentiles")) {
      expect(chart.lines).toHaveLength(3);
      for (const length of chart.lines) expect(length).toBeGreaterThan(50);
    }
    const progress = charts.filter((c) => c.kind === "progress");
    expect(progress.flatMap((c) => c.faults)).toHaveLength(3);
    for (const chart of progress) {
      for (const length of chart.lines) expect(length).toBeGreaterThan(50);
      for (const height of chart.faults) expect(height).toBeGreaterThan(50);
    }
  });

  it("fails on no truncated label or missing legend entry in a writer's run: long names, 8 curves, every kind of work", async (ctx) => {
    if (!chromiumInstalled()) ctx.skip("chromium not installed");
    const model = summarizeRecords(parseRecords(writerRecords(), { source: "writer run" }));
    const html = renderHtml(model);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, "writer-report.html"), html);
    const charts = await probeCharts(html);
    expectReadable(charts);
    const bars = charts.find((c) => c.kind === "bars")!;
    expect(bars.bars).toHaveLength(LONG_CONFIGS.length);
    // n = 5: every bar carries its interval (3 lines each).
    expect(bars.errorBars).toBe(3 * LONG_CONFIGS.length);
    for (const config of LONG_CONFIGS) expect(bars.texts.some((t) => t.text.startsWith(config))).toBe(true);
    const latency = charts.find((c) => c.kind === "percentiles")!;
    expect(latency.lines).toHaveLength(LONG_CONFIGS.length);
    expect([...latency.legend].sort()).toEqual([...LONG_CONFIGS].sort());
    // Each kind of background work is drawn before a second seed of any.
    const progress = charts.filter((c) => c.kind === "progress");
    const kinds = progress.slice(0, 3).map((c) => c.legend[0]);
    expect(new Set(kinds)).toEqual(new Set(["pvmove", "resync", "merge"]));
    expect(html).toContain("A power cut shows as a drop at its fault marker");
    expect(html).toContain("realdm-100mib-1kiops: virtual, 100 MiB/s and 1000 IOPS");
  });
});
