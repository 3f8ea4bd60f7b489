/**
 * `lvmlab rehearse` end to end on the backup real LVM2 made (scenarios/rehearse/plans/vg_data.vg):
 * bad input is one line and exit 2 with no output file touched; a run writes the terminal matrix,
 * Markdown, HTML and records that `report`, `merge` and `compare` accept; `--cell` replays a cell.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../cli/program.js";
import { captureOutput } from "../support/capture.js";

const BACKUP = fileURLToPath(new URL("../../scenarios/rehearse/plans/vg_data.vg", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "lvmlab-rehearse-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let code = -1;
  const { text: stderr, result: stdout } = await captureOutput(process.stderr, async () => {
    const { text } = await captureOutput(process.stdout, async () => {
      code = await runCli(argv);
    });
    return text;
  });
  return { code, stdout, stderr };
}

/** The run both the full rehearsal and its cell replay use. */
const runArgs = (plan: string) => [
  "rehearse",
  "--backup",
  BACKUP,
  "--plan",
  plan,
  "--profile",
  "hdd",
  "--new-disk",
  "/dev/sdc1=64MiB:sata-ssd",
  "--max-points",
  "1",
];

describe("lvmlab rehearse", () => {
  it("refuses bad input with one line naming the file and line, exit 2, and writes no output", async () => {
    const md = join(dir, "never.md");
    const missing = await cli(["rehearse", "--backup", join(dir, "nope.vg"), "--plan", "x", "--md", md]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^lvmlab: Cannot read backup file .*nope\.vg: ENOENT\n$/);
    const plan = file("bad.plan", "vgextend vg_data /dev/sdc1\npvmove /dev/sdb1 /dev/sdz9\n");
    const unknown = await cli([
      "rehearse",
      "--backup",
      BACKUP,
      "--plan",
      plan,
      "--new-disk",
      "/dev/sdc1=64MiB",
      "--md",
      md,
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      `lvmlab: ${plan}:2: unknown device /dev/sdz9; the backup's PVs are /dev/sdb1, /dev/sdd1, /dev/sdc1; declare a new disk with --new-disk /dev/sdz9=SIZE[:PROFILE]\n`,
    );
    const unsupported = file("lvremove.plan", "lvremove vg_data/lv_home\n");
    const refused = await cli(["rehearse", "--backup", BACKUP, "--plan", unsupported]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^lvmlab: .*lvremove\.plan:1: unsupported command "lvremove"/);
    const profile = await cli(["rehearse", "--backup", BACKUP, "--plan", plan, "--profile", "/dev/sdq1=hdd"]);
    expect(profile.stderr).toMatch(/^lvmlab: --profile \/dev\/sdq1=hdd: \/dev\/sdq1 is not a PV of /);
    expect(existsSync(md)).toBe(false);
  });

  it("writes the matrix, Markdown, HTML and records that report, merge and compare accept; --cell replays one cell", async () => {
    const plan = file("extend.plan", "# add the new disk\nvgextend vg_data /dev/sdc1\n");
    const out = (ext: string) => join(dir, `run.${ext}`);
    const run = await cli([
      ...runArgs(plan),
      "--ndjson",
      out("ndjson"),
      "--md",
      out("md"),
      "--html",
      out("html"),
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /Step 1: vgextend vg_data \/dev\/sdc1\n {2}crash window .* resume .* recommended/,
    );
    expect(run.stdout).toContain("tried 1 of ");
    const md = readFileSync(out("md"), "utf8");
    expect(md).toContain("### Recovery matrix, step 1: `vgextend vg_data /dev/sdc1`");
    expect(md).toContain("### Throughput per LV (modeled)");
    expect(md).toMatch(/\| `lvmlab rehearse --backup .* --cell '1\/[a-z.]+#\d+\/present\/resume'` \|/);
    expect(readFileSync(out("html"), "utf8")).toMatch(
      /^<!DOCTYPE html>[\s\S]*Recovery matrix[\s\S]*<\/html>\n$/,
    );
    const records = readFileSync(out("ndjson"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string });
    expect(records[0]!.type).toBe("meta");
    expect(records.filter((r) => r.type === "case").length).toBeGreaterThan(3);
    expect(records.filter((r) => r.type === "bench").length).toBe(4);

    const report = await cli(["report", out("ndjson"), "--format", "md"]);
    expect(report.code).toBe(0);
    expect(report.stderr).toBe("");
    const merged = join(dir, "merged.ndjson");
    expect((await cli(["merge", out("ndjson"), out("ndjson"), "--ndjson", merged])).code).toBe(0);
    expect(
      readFileSync(merged, "utf8")
        .split("\n")
        .filter((l) => l.includes('"type":"case"')),
    ).toHaveLength(records.filter((r) => r.type === "case").length);
    const compared = await cli(["compare", out("ndjson"), out("ndjson"), "--format", "md"]);
    expect(compared.code).toBe(0);
    expect(compared.stdout).toContain("vg_data/lv_home");

    const key = /--cell '([^']+)'/.exec(md)![1]!;
    const replay = await cli([...runArgs(plan), "--cell", key]);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain("$ vgcfgrestore -f /root/lvmlab-rehearse/backup.vg vg_data");
    expect(replay.stdout).toMatch(new RegExp(`${key.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: safe: `));
  }, 60_000);
});
