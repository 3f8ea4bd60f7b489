import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { renderHtml } from "../../reports/html.js";
import { readRecords } from "../../reports/read-records.js";
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

    const probeDir = mkdtempSync(join(tmpdir(), "lvmlab-probe-"));
    const probePath = join(probeDir, "probe.html");
    const withoutCsp = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\n/, "");
    expect(withoutCsp).not.toBe(html);
    writeFileSync(probePath, withoutCsp.replace("</body>", `${PROBE_SCRIPT}\n</body>`));
    const probed = await chromium(["--dump-dom", pathToFileURL(probePath).href]);
    rmSync(probeDir, { recursive: true, force: true });
    const json = /<pre id="probe">([^<]*)<\/pre>/.exec(probed)?.[1];
    expect(json, "the probe script did not run").toBeDefined();
    const charts = JSON.parse(json!.replace(/&quot;/g, '"').replace(/&amp;/g, "&")) as ChartGeometry[];

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
      expect(chart.errorBars).toBe(9);
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
});
