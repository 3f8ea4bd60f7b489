/**
 * Bad input is refused before any output is opened (real processes): a typo in --shard or --seeds,
 * an unknown fio option or a bad LVM2 command line in a scenario file each exit 2 with one line,
 * and the earlier results file is left byte for byte as it was.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_BUILT, killAll, runCliProcess } from "../support/cli-process.js";

const SCENARIO = `name: validate-first-linear
description: A small linear LV with a fio job
pvs:
  - { name: pv0, size: 16MiB }
setup:
  - pvcreate pv0
  - vgcreate vg0 pv0
  - lvcreate -an -Zn -l 2 -n lv0 vg0
phases:
  - workload:
      lv: vg0/lv0
      jobs:
        - { name: w, rw: randwrite, bs: 4k, size: 1m, number_ios: 20, verify: xxh64 }
`;

describe.skipIf(!CLI_BUILT)("lvmlab run checks everything before it writes (real processes)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvmlab-validate-"));
  afterEach(killAll);

  it("keeps an earlier results file intact and exits 2 on every kind of bad input", async () => {
    const out = join(dir, "results.ndjson");
    const good = join(dir, "good.yaml");
    writeFileSync(good, SCENARIO);
    const first = await runCliProcess([
      "run",
      "validate-first-linear",
      "--file",
      good,
      "-q",
      "--ndjson",
      out,
    ]);
    expect(first.code).toBe(0);
    const before = readFileSync(out, "utf8");
    expect(before).toContain('"type":"summary"');
    // The replay command and the recorded command both load the scenario file, so they work as printed.
    expect(before).toContain(`"replay":"lvmlab replay validate-first-linear@1 --file ${good}"`);
    expect(before).toContain(`"command":"lvmlab run validate-first-linear --file ${good}"`);

    const badFio = join(dir, "bad-fio.yaml");
    writeFileSync(badFio, SCENARIO.replace("number_ios: 20", "number_ios: 20, iodepht: 4"));
    const badLvm = join(dir, "bad-lvm.yaml");
    writeFileSync(badLvm, SCENARIO.replace("lvcreate -an -Zn -l 2", "lvcreate -an -Zn --sise 2"));
    const attempts: [string[], RegExp][] = [
      [["run", "--shard", "x"], /Bad shard "x"/],
      [["run", "--seeds", "abc"], /Bad seed list "abc"/],
      [["run", "--shard", "auto"], /none of JOB_COMPLETION_INDEX/],
      [["run", "validate-first-linear", "--file", badFio], /bad-fio\.yaml.*iodepht/],
      [["run", "validate-first-linear", "--file", badLvm], /bad-lvm\.yaml.*setup\[2\].*sise/],
    ];
    const env = {
      JOB_COMPLETION_INDEX: "",
      CI_NODE_INDEX: "",
      BUILDKITE_PARALLEL_JOB: "",
      CIRCLE_NODE_INDEX: "",
    };
    for (const [args, message] of attempts) {
      const run = await runCliProcess([...args, "-q", "--ndjson", out], { env });
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split("\n"), run.stderr).toHaveLength(1);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(readFileSync(out, "utf8")).toBe(before);
    }
    // No temporary file is left behind either.
    expect(readdirSync(dir).filter((f) => f.startsWith("."))).toEqual([]);
    expect(existsSync(out)).toBe(true);
  });
});
