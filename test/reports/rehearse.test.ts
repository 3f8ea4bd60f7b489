import { describe, expect, it } from "vitest";
import { parseRecords } from "../../reports/read-records.js";
import {
  rehearsalFromRecords,
  renderRehearsalHtml,
  renderRehearsalMarkdown,
  renderRehearsalTerminal,
} from "../../reports/rehearse.js";

const verify = { ok: 96, lost: 0, stale: 0, torn: 0, misdirected: 0, corrupt: 0, unreadable: 0 };
const cell = (boot: string, path: string, outcome: string, detail: string) => ({
  type: "case",
  scenario: "rehearse-vg_data",
  seed: 1,
  status: outcome === "safe" ? "pass" : "fail",
  crashPoint: `step 2 pvmove.checkpoint#1 ${boot} ${path}`,
  verify,
  replay: `lvmlab rehearse --backup b.vg --plan p --cell '2/pvmove.checkpoint#1/${boot}/${path}'`,
  verdict: `${outcome}: ${detail}`,
  key: `rehearse-vg_data@1/2/pvmove.checkpoint#1/${boot}/${path}`,
  rehearse: { step: 2, window: "pvmove.checkpoint#1", boot, path, title: path, outcome, detail },
});
const bench = (when: string, mbps: number) => ({
  type: "bench",
  config: "vg_data/lv_home",
  workload: `default ${when}`,
  profile: "rehearse",
  iops: mbps * 250,
  mbps,
  latNs: { p50: 1e5, p90: 2e5, p99: 3e5, p999: 4e5, max: 5e5 },
  writeAmplification: 1,
});
const NDJSON = [
  {
    type: "meta",
    command: "lvmlab rehearse --backup b.vg --plan p",
    rehearseLateDisk: "/dev/sdc1",
    configs: { "/dev/sdb1": "PV of the backup, hdd" },
  },
  {
    type: "rehearse-step",
    step: 1,
    line: 1,
    command: "vgextend vg_data /dev/sdc1",
    exitCode: 0,
    durationNs: 0,
    windowsFound: 3,
    windowsTried: 3,
    coverage: "step 1: tried all 3",
  },
  {
    type: "rehearse-step",
    step: 2,
    line: 2,
    command: "pvmove /dev/sdb1 /dev/sdc1",
    exitCode: 0,
    durationNs: 30e9,
    copyNs: 1.5e9,
    windowsFound: 40,
    windowsTried: 1,
    coverage: "step 2: tried 1 of 40 (sampled)",
  },
  cell("present", "resume", "safe", "all acknowledged data intact; the plan finished"),
  cell("late", "resume", "safe", "all acknowledged data intact; the plan finished"),
  cell("late", "removemissing-force", "destructive", "removed LV lv_home, whose data was intact <b>"),
  {
    type: "rehearse-recommendation",
    step: 2,
    window: "pvmove.checkpoint#1",
    boot: "late",
    path: "resume",
    outcome: "safe",
  },
  bench("before", 0.4),
  bench("during step 2", 0.2),
  bench("after", 30),
  { type: "summary", cases: 3, passed: 2, failed: 1 },
]
  .map((r) => JSON.stringify(r))
  .join("\n");

describe("rehearsal reports", () => {
  const set = parseRecords(NDJSON, { source: "r.ndjson" });
  const view = rehearsalFromRecords(set)!;

  it("reads the rehearsal's own record types without warnings", () => {
    expect(set.warnings).toEqual([]);
    expect(view.steps.map((s) => s.command)).toEqual([
      "vgextend vg_data /dev/sdc1",
      "pvmove /dev/sdb1 /dev/sdc1",
    ]);
    expect(view.cells).toHaveLength(3);
    expect(
      rehearsalFromRecords(parseRecords('{"type":"summary","cases":0,"passed":0,"failed":0}')),
    ).toBeUndefined();
  });

  it("puts the matrix, recommendation, durations and throughput in the terminal and in Markdown", () => {
    const text = renderRehearsalTerminal(view);
    expect(text).toContain(
      "pvmove /dev/sdb1 /dev/sdc1  30.0 s (copy done at 1.50 s; pvmove polls every 15 s)  1 of 40 (sampled)",
    );
    expect(text).toMatch(/pvmove\.checkpoint#1 +\/dev\/sdc1 late +safe +DESTRUCTIVE +resume\n/);
    expect(text).toContain("metadata only (no modeled I/O time)");
    expect(text).toContain("--cell '2/pvmove.checkpoint#1/late/removemissing-force'");
    expect(text).toMatch(/vg_data\/lv_home +0\.40 MB\/s.* 30\.00 MB\/s, 7500 IOPS, p99 300 µs +75\.00×/);
    const broken = { ...view, steps: [{ ...view.steps[0]!, exitCode: 5 }, ...view.steps.slice(1)] };
    expect(renderRehearsalTerminal(broken)).toContain("vgextend vg_data /dev/sdc1 (exit 5 without a crash)");
    const md = renderRehearsalMarkdown(view);
    expect(md).toContain("| pvmove.checkpoint#1 | /dev/sdc1 late | safe | **DESTRUCTIVE** | resume |");
    expect(md).toContain("removed LV lv_home, whose data was intact &lt;b&gt;");
  });

  it("escapes record text in HTML and colours cells by outcome", () => {
    const html = renderRehearsalHtml(view);
    expect(html).toContain(
      '<td class="destructive" title="removed LV lv_home, whose data was intact &lt;b&gt;">DESTRUCTIVE',
    );
    expect(html).not.toContain("intact <b>");
    expect(html).not.toContain("<script");
  });
});
