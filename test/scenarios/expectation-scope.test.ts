import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../cli/program.js";
import { discoverCrashPoints } from "../../scenarios/crash-points.js";
import { defineScenario } from "../../scenarios/define.js";
import { executeCase } from "../../scenarios/executor.js";
import { notJudgedAtExploredPoint, withOwnCut } from "../../scenarios/expectation-scope.js";
import { loadScenarioModules, parseScenarioFile } from "../../scenarios/load.js";
import { localRunner } from "../../scenarios/local-runner.js";
import {
  expectationsSet,
  exploreJudgesNothing,
  parseExploreBound,
  type ScenarioInput,
} from "../../scenarios/schema.js";
import { listCases } from "../../scenarios/sweep.js";
import { captureOutput } from "../support/capture.js";

const base: ScenarioInput = {
  name: "scoped",
  description: "Writes, then two LV creations, each a metadata commit",
  pvs: [{ name: "pv0", size: "32MiB" }],
  setup: ["pvcreate pv0", "vgcreate vg0 pv0", "lvcreate -an -Zn -l 2 -n lv0 vg0"],
  phases: [
    {
      workload: {
        lv: "vg0/lv0",
        jobs: [
          { name: "w", rw: "randwrite", bs: "16k", size: "1m", number_ios: 20, fsync: 4, verify: "xxh64" },
        ],
      },
    },
    { lvm: "lvcreate -an -Zn -l 1 -n lv1 vg0" },
    { lvm: "lvcreate -an -Zn -l 1 -n lv2 vg0" },
  ],
  recovery: ["vgchange -ay vg0"],
};
const scenario = (extra: Partial<ScenarioInput>) => defineScenario({ ...base, ...extra } as ScenarioInput);

async function cli(argv: string[]): Promise<{ code: number; stderr: string }> {
  const { result, text } = await captureOutput(process.stderr, () => runCli(argv));
  return { code: result, stderr: text };
}

describe("expectAtOwnCut", () => {
  it("adds to expect at the own cut: flags on, lists joined, records merged", () => {
    const declared = scenario({
      expect: { messages: ["a"], lvExtents: { "vg0/lv0": 2 } },
      expectAtOwnCut: { messages: ["b", "a"], noPvmoveLeft: true, lvExtents: { "vg0/lv1": 1 } },
    });
    const merged = withOwnCut(declared.expect, declared.expectAtOwnCut);
    expect(merged.messages).toEqual(["a", "b"]);
    expect(merged.noPvmoveLeft).toBe(true);
    expect(merged.lvExtents).toEqual({ "vg0/lv0": 2, "vg0/lv1": 1 });
    expect(declared.expect.messages).toEqual(["a"]);
    expect(expectationsSet(declared.expectAtOwnCut!)).toEqual(["noPvmoveLeft", "lvExtents", "messages"]);
    expect(notJudgedAtExploredPoint(declared).map((n) => n.expectation)).toEqual([
      "noPvmoveLeft",
      "lvExtents",
      "messages",
    ]);
  });

  it("refuses at load what would loosen the own cut or judge one thing twice, naming the field", () => {
    const cases: [Partial<ScenarioInput>, string][] = [
      [
        { expectAtOwnCut: { noAcknowledgedDataLost: false } },
        "expectAtOwnCut.noAcknowledgedDataLost: Expected true",
      ],
      [
        { expect: { lvExtents: { "vg0/lv0": 2 } }, expectAtOwnCut: { lvExtents: { "vg0/lv0": 2 } } },
        "expectAtOwnCut.lvExtents.vg0/lv0: Already expected at every point",
      ],
      [
        {
          expect: { noAcknowledgedDataLost: false, metadataConsistent: false },
          expectAtOwnCut: { messages: ["x"] },
          explore: { from: "metadata.write" },
        },
        "explore: Cannot explore: every expectation holds only at the scenario's own cut",
      ],
    ];
    for (const [extra, message] of cases) {
      expect(() => parseScenarioFile(JSON.stringify({ ...base, ...extra }), "scoped.json")).toThrow(message);
    }
  });

  it("judges own-cut expectations at the own cut only, and lists them as not judged elsewhere", () => {
    // The own-cut message is one no command prints: the own case fails on it, an explored point passes.
    const declared = scenario({
      faults: [
        { kind: "power-cut", at: { event: "metadata.write", occurrence: 1 }, policy: { kind: "drop-all" } },
      ],
      expectAtOwnCut: { messages: ["never printed"] },
    });
    const own = executeCase(declared, { scenario: "scoped", seed: 1 }).record;
    expect(own.failures).toEqual(['expected the commands to print "never printed"']);
    expect(own.notJudged).toBeUndefined();
    const point = discoverCrashPoints(declared, 1).find((p) => p.label === "metadata.write#1")!;
    const explored = executeCase(declared, { scenario: "scoped", seed: 1, crashPoint: point }).record;
    expect(explored.status, explored.failures.join("; ")).toBe("pass");
    expect(explored.notJudged).toEqual([
      { expectation: "messages", reason: expect.stringContaining("holds only at the scenario's own cut") },
    ]);
  });

  it("fails an explored case that judged nothing, and refuses to explore such a scenario (exit 2)", async () => {
    const ownCutOnly: Partial<ScenarioInput> = {
      name: "idle-judge",
      expect: { noAcknowledgedDataLost: false, metadataConsistent: false },
      expectAtOwnCut: { messages: ["vgchange"] },
    };
    const idle = scenario(ownCutOnly);
    const record = executeCase(idle, {
      scenario: "idle-judge",
      seed: 1,
      crashPoint: { kind: "write", index: 3, label: "write 3" },
    }).record;
    expect(record.status).toBe("fail");
    expect(record.failures).toContain(
      "no expectation was judged at this crash point (not judged: messages); add one to expect that holds at every point",
    );
    expect(exploreJudgesNothing(idle)).toMatch(/would judge nothing/);
    const loaded = [{ scenario: idle, file: "idle.json" }];
    await expect(
      listCases({ scenarios: loaded, seeds: [1], explore: true, runner: localRunner(loaded) }),
    ).rejects.toThrow(/^idle\.json: cannot explore idle-judge: every expectation holds only/);
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-scope-"));
    const file = join(dir, "idle.json");
    writeFileSync(file, JSON.stringify({ ...base, ...ownCutOnly }));
    const result = await cli(["run", "idle-judge", "--file", file, "--explore", "--seeds", "1", "-q"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("cannot explore idle-judge");
  });
});

describe("the own-cut scope on a library scenario", () => {
  it("catches a mutant by the own-cut message at the own cut; elsewhere the point-independent checks catch a planted bug", async () => {
    const library = await loadScenarioModules();
    const fg = library.find((l) => l.scenario.name === "pvmove-cut-foreground-resume")!.scenario;
    // At its own cut (mid-copy), the inactive-LV message is judged: a scan that prefers the older
    // metadata loses the move, and only that message notices.
    const own = { scenario: fg.name, seed: 1 };
    const ownMutant = executeCase(fg, own, {
      mutations: new Set(["format.scan.prefers-lower-seqno"]),
    }).record;
    expect(ownMutant.failures).toEqual(['expected the commands to print "Skipping inactive LV"']);
    expect(executeCase(fg, own).record.status).toBe("pass");
    // At a cut before the move's setup reached the disks, the message does not hold and is not judged …
    const early = { ...own, crashPoint: { kind: "event" as const, index: 1, label: "metadata.write#1" } };
    const real = executeCase(fg, early);
    expect(real.record.status, real.record.failures.join("; ")).toBe("pass");
    expect(real.lvmLog.some((line) => line.includes("Skipping inactive LV"))).toBe(false);
    expect(real.record.notJudged?.map((n) => n.expectation)).toEqual(["messages"]);
    // … while the oracle, judged at every point, still fails a pvmove that switches before syncing.
    const planted = executeCase(fg, early, { mutations: new Set(["pvmove-switch-before-sync"]) }).record;
    expect(planted.status).toBe("fail");
    expect(planted.failures[0]).toMatch(/lost block\(s\) after recovery/);
  });
});

describe("damageAbsent", () => {
  it("refuses at load what contradicts it, naming the field", () => {
    const cases: [Partial<ScenarioInput>, string][] = [
      [
        { expect: { tolerates: ["unreadable"], damageAbsent: ["unreadable"] } },
        "expect.damageAbsent[0]: Cannot tolerate unreadable damage and expect it absent at every point",
      ],
      [
        { expect: { tolerates: ["torn"] }, expectAtOwnCut: { damageSeen: ["torn"], damageAbsent: ["torn"] } },
        "expectAtOwnCut.damageAbsent[0]: Cannot expect torn damage absent and also detected or seen",
      ],
      [
        { expect: { detects: ["corrupt"] }, expectAtOwnCut: { damageAbsent: ["corrupt"] } },
        "expectAtOwnCut.damageAbsent[0]: Cannot expect corrupt damage absent",
      ],
    ];
    for (const [extra, message] of cases) {
      expect(() => parseScenarioFile(JSON.stringify({ ...base, ...extra }), "scoped.json")).toThrow(message);
    }
  });

  it("outranks tolerates at the own cut of latent-sector-errors-healed, which explored points tolerate", async () => {
    const library = await loadScenarioModules();
    const healed = library.find((l) => l.scenario.name === "latent-sector-errors-healed")!.scenario;
    const own = { scenario: healed.name, seed: 1 };
    expect(executeCase(healed, own).record.status).toBe("pass");
    // A drive that never heals leaves every bad sector under rewritten data: only the own run says so.
    const neverHeals = executeCase(healed, own, {
      mutations: new Set(["faults.latent-sector-errors.never-heals"]),
    }).record;
    expect(neverHeals.status).toBe("fail");
    expect(neverHeals.failures[0]).toMatch(/^\d+ unreadable block\(s\) after recovery/);
    // A cut halfway through the rewrite leaves the bad sectors not yet rewritten (the media keeps
    // them): their blocks read EIO, which every point tolerates.
    const midRewrite = { ...own, crashPoint: { kind: "write" as const, index: 384, label: "write 384" } };
    const cut = executeCase(healed, midRewrite).record;
    expect(cut.verify.unreadable).toBeGreaterThan(0);
    expect(cut.status, cut.failures.join("; ")).toBe("pass");
    expect(cut.notJudged?.map((n) => n.expectation)).toEqual(["damageAbsent"]);
    // A cut before the errors are due leaves none: the fault belonged to the run the cut ended.
    const early = { ...own, crashPoint: { kind: "write" as const, index: 128, label: "write 128" } };
    const before = executeCase(healed, early).record;
    expect(before.faults.map((f) => f.kind)).toEqual(["power-cut"]);
    expect(before.verify.unreadable).toBe(0);
    expect(before.status, before.failures.join("; ")).toBe("pass");
  });
});

describe("explore bounds by occurrence", () => {
  it("parses name#N and refuses a bad occurrence", () => {
    expect(parseExploreBound("metadata.write")).toEqual({ event: "metadata.write" });
    expect(parseExploreBound("metadata.write#2")).toEqual({ event: "metadata.write", occurrence: 2 });
    for (const bad of ["metadata.write#0", "metadata.write#x", "metadata.write#", "metadata.write#1e3"]) {
      expect(() => parseExploreBound(bad)).toThrow(/Bad occurrence/);
    }
  });

  it("starts and ends the window at the named occurrences", () => {
    const all = discoverCrashPoints(scenario({}), 1);
    const labels = all.map((p) => p.label);
    const second = labels.indexOf("metadata.write#2");
    expect(second).toBeGreaterThan(labels.indexOf("metadata.write#1"));
    const from2 = discoverCrashPoints(scenario({ explore: { from: "metadata.write#2" } }), 1);
    expect(from2[0]!.label).toBe("metadata.write#2");
    expect(from2).toHaveLength(all.length - second);
    const window = discoverCrashPoints(
      scenario({ explore: { from: "metadata.write#1", to: "metadata.write#2", writes: false } }),
      1,
    );
    expect(window.at(0)!.label).toBe("metadata.write#1");
    expect(window.at(-1)!.label).toBe("metadata.write#2");
    // A `to` occurrence before `from` leaves an empty window (which exploration refuses).
    expect(
      discoverCrashPoints(scenario({ explore: { from: "metadata.write#2", to: "metadata.write#1" } }), 1),
    ).toEqual([]);
  });

  it("makes lvmlab run exit 2 on a bad occurrence or an unknown event, naming the file and field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-bounds-"));
    const cases: [Record<string, unknown>, string][] = [
      [{ from: "metadata.write#0" }, 'explore.from: Bad occurrence "0" in "metadata.write#0"'],
      [{ to: "metadata.wirte#2" }, 'explore.to: Unknown trace event "metadata.wirte"'],
    ];
    for (const [explore, message] of cases) {
      const file = join(dir, "bounds.json");
      writeFileSync(file, JSON.stringify({ ...base, explore }));
      const result = await cli(["run", "scoped", "--file", file, "--explore", "-q"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(file);
      expect(result.stderr).toContain(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});
