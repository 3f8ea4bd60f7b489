import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FAULT_KIND_NAMES, type FaultSpecInput, parseFaultSpec } from "../../faults/mod.js";
import {
  DUST_BAD_BLOCKS_MAX,
  dustArming,
  FAULT_KIND_TRANSLATIONS,
  latentErrorTable,
  translateDeviceFault,
  UntranslatableError,
} from "../../real/fault-translation.js";
import { translateScenario, verifyAndCollect } from "../../real/guest-script.js";
import { faultFacts } from "../../real/model-run.js";
import { defineScenario } from "../../scenarios/define.js";
import type { Phase } from "../../scenarios/schema.js";

const pvs = [
  { name: "pv0", sizeBytes: 64 << 20 },
  { name: "pv1", sizeBytes: 64 << 20 },
];
const workload = {
  workload: {
    lv: "vg0/lv0",
    jobs: [{ name: "w", rw: "randwrite", bs: "4k", size: "8m", number_ios: 50, verify: "xxh64" }],
  },
};
const phases = [workload, { wait: { ns: 1_000_000_000 } }, workload] as unknown as Phase[];

function translate(input: FaultSpecInput, facts?: Parameters<typeof translateDeviceFault>[2]["facts"]) {
  return translateDeviceFault(parseFaultSpec(input), 0, { pvs, phases, ...(facts ? { facts } : {}) });
}

describe("fault kinds as dm tables under a PV", () => {
  it("says for every fault kind what it becomes on real dm, or why it is refused", () => {
    expect(Object.keys(FAULT_KIND_TRANSLATIONS).sort()).toEqual([...FAULT_KIND_NAMES].sort());
  });

  it("turns a transient pv-loss into an error table, then the linear table when a raid leg is marked D", () => {
    const f = translate({
      kind: "pv-loss",
      device: "pv1",
      at: { write: 30, device: "pv1" },
      window: { untilEvent: "raid.leg.fail" },
    });
    expect(f.trigger).toEqual({ kind: "writes", writes: 30, device: "pv1" });
    expect(f.fire).toContain('dmsetup load pv1 --table "0 131072 error" && dmsetup resume pv1');
    expect(f.clear).toMatch(/dmsetup status --target raid .*\$\(i \+ 3\) ~ \/D\//);
    expect(f.clear).toContain('dmsetup load pv1 --table "0 131072 linear $D_pv1 0"');
    expect(f.note).toMatch(/until dmsetup status shows a raid leg failed/);
  });

  it("places an event-triggered fault after the wait phase the model fired it in, and refuses one fired mid-workload", () => {
    const spec = {
      kind: "pv-loss",
      device: "pv0",
      at: { event: "raid.bitmap.clear", occurrence: 2 },
    } as const;
    expect(translate(spec, { firedTNs: 5, phase: 1 }).trigger).toEqual({ kind: "after-phase", phase: 1 });
    expect(() => translate(spec, { firedTNs: 5, phase: 0 })).toThrow(/during phases\[0\] in the model/);
    expect(translate(spec).trigger).toEqual({ kind: "never" });
    expect(() => translate({ ...spec, at: { after: "x" } })).toThrow(UntranslatableError);
  });

  it("merges adjacent bad sectors into error segments of a linear table (aux error_dev)", () => {
    expect(latentErrorTable({ name: "pv0", sizeBytes: 8192 }, [3, 4, 9, 15]).split("\n")).toEqual([
      "0 3 linear $D_pv0 0",
      "3 2 error",
      "5 4 linear $D_pv0 5",
      "9 1 error",
      "10 5 linear $D_pv0 10",
      "15 1 error",
    ]);
    const f = translate(
      {
        kind: "latent-sector-errors",
        device: "pv0",
        count: 2,
        rangeStartSector: 2048,
        healOnWrite: false,
        at: { write: 10 },
      },
      { firedTNs: 1, phase: 0, effect: { sectors: [4000, 2100], sectorsCount: 2 } },
    );
    expect(f.fire).toContain(
      'printf \'%s\\n\' "0 2100 linear $D_pv0 0" "2100 1 error" "2101 1899 linear $D_pv0 2101" "4000 1 error" "4001 127071 linear $D_pv0 4001" | dmsetup load pv0 && dmsetup resume pv0',
    );
    expect(f.note).toMatch(
      /writes over them fail too.*dm-dust either heals a block on write or fails the write/,
    );
    expect(f.dust).toBeUndefined();
    expect(() =>
      translate(
        { kind: "latent-sector-errors", device: "pv0", count: 2, at: { write: 10 } },
        { firedTNs: 1, effect: { sectors: [1], sectorsTruncated: true } },
      ),
    ).toThrow(/more sectors than its record keeps/);
  });

  it("maps a fixed delay, a slow leg and dm-flakey's features, and refuses what the kernel's targets lack", () => {
    expect(
      translate({ kind: "slow-device", device: "pv0", addNs: 5_000_000, ops: "write", at: { write: 1 } })
        .fire,
    ).toContain('"0 131072 delay $D_pv0 0 0 $D_pv0 0 5"');
    expect(
      translate({
        kind: "sync-stall",
        mode: "slow-leg",
        device: "pv1",
        delayNs: 20_000_000,
        at: { write: 1 },
      }).fire,
    ).toContain('"0 131072 delay $D_pv1 0 20"');
    const flakey = translate({
      kind: "flakey",
      device: "pv0",
      upNs: 0,
      downNs: 1_000_000_000,
      dropWrites: true,
      at: { write: 5 },
      window: { durationNs: 2_000_000 },
    });
    expect(flakey.fire).toContain('"0 131072 flakey $D_pv0 0 0 1 1 drop_writes"');
    expect(flakey.clear).toMatch(/^usleep 2000; dmsetup load pv0 --table "0 131072 linear \$D_pv0 0"/);
    expect(() => translate({ kind: "slow-device", device: "pv0", factor: 20, at: { write: 1 } })).toThrow(
      /dm-delay/,
    );
    expect(() =>
      translate({
        kind: "flakey",
        device: "pv0",
        upNs: 500_000_000,
        downNs: 1_000_000_000,
        at: { write: 1 },
      }),
    ).toThrow(/whole seconds/);
    expect(() =>
      translate({ kind: "flakey", device: "pv0", upNs: 0, downNs: 1e9, errorReads: true, at: { write: 1 } }),
    ).toThrow(/error_reads/);
    expect(() => translate({ kind: "sync-stall", target: "vg0/m", at: { write: 1 } })).toThrow(
      /no dm target stops a copy/,
    );
    expect(() => translate({ kind: "pv-loss", device: "pv0", returnAs: "blank", at: { write: 1 } })).toThrow(
      /returnAs/,
    );
    expect(() => translate({ kind: "bit-rot", device: "pv0", at: { write: 1 } })).toThrow(
      /bit-rot has no device-mapper translation/,
    );
    expect(() =>
      translate({
        kind: "pv-loss",
        device: "pv0",
        at: { write: 1 },
        window: { untilEvent: "mirror.resync.step" },
      }),
    ).toThrow(/no observable end/);
  });

  it("runs a fault placed after a wait phase inline in the guest script, its window in the background", () => {
    const scenario = defineScenario({
      name: "t-transient",
      description: "test",
      pvs: [
        { name: "pv0", size: "64MiB" },
        { name: "pv1", size: "64MiB" },
      ],
      setup: ["pvcreate pv0 pv1", "vgcreate vg0 pv0 pv1", "lvcreate -an -Zn -l 4 -n lv0 vg0 pv0"],
      phases,
      faults: [
        {
          kind: "pv-loss",
          device: "pv0",
          at: { event: "raid.bitmap.clear", occurrence: 1 },
          window: { durationNs: 1_000_000 },
        },
      ],
    });
    const plan = translateScenario(scenario, {
      seed: 1,
      faultFacts: new Map([[0, { firedTNs: 9, phase: 1 }]]),
    });
    const lines = plan.boot1.split("\n");
    const sleep = lines.indexOf("usleep 1000000");
    expect(sleep).toBeGreaterThan(0);
    expect(lines[sleep + 1]).toMatch(/^\( dmsetup load pv0 --table "0 131072 error" .*usleep 1000; .* \) &$/);
    expect(plan.faults).toHaveLength(1);
  });

  it("finds where the model fired each fault from its records and the phase start times", () => {
    const scenario = defineScenario({
      name: "t-facts",
      description: "test",
      pvs: [{ name: "pv0", size: "64MiB" }],
      setup: ["pvcreate pv0"],
      phases,
      faults: [
        { kind: "pv-loss", device: "pv0", at: { write: 1 } },
        { kind: "pv-loss", id: "late", device: "pv0", at: { write: 2 } },
      ],
    });
    const facts = faultFacts(
      scenario,
      [
        { kind: "pv-loss", seedPath: "1/faults/late:pv-loss", firedAt: { tNs: 150 }, effect: {} },
        { kind: "pv-loss", seedPath: "1/faults/0:pv-loss", firedAt: { tNs: 50 }, effect: { a: 1 } },
      ],
      [0, 100, 200],
    );
    expect(facts.get(0)).toEqual({ firedTNs: 50, phase: 0, effect: { a: 1 } });
    expect(facts.get(1)).toEqual({ firedTNs: 150, phase: 1, effect: {} });
  });
});

describe("latent sector errors that heal on write as a dm-dust table", () => {
  const healing = {
    kind: "latent-sector-errors",
    device: "pv0",
    count: 2,
    rangeStartSector: 2048,
    at: { write: 10 },
  } as const;
  const drew = (sectors: number[]) => ({
    firedTNs: 1,
    phase: 0,
    effect: { sectors, sectorsCount: sectors.length },
  });

  /** Runs a fault's fire line in sh with dmsetup recording its arguments (and failing `failOn`). */
  function dmsetupCalls(fire: string, failOn?: string): { calls: string[]; out: string } {
    const fake = `dmsetup() { echo "$*" >> "$LOG"; case "$*" in *"${failOn ?? "@none@"}"*) return 1 ;; *countbadblocks*) echo "countbadblocks: 9 badblock(s) found" ;; status*) echo "0 131072 dust 254:16 fail_read_on_bad_block quiet" ;; esac; }`;
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-dust-"));
    try {
      const log = join(dir, "log");
      const out = execFileSync("sh", ["-c", `M=@@M; D_pv0=/dev/vdb; ${fake}\n${fire}`], {
        env: { ...process.env, LOG: log },
        encoding: "utf8",
      });
      return { calls: readFileSync(log, "utf8").trim().split("\n"), out };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("loads a dust table with 512-byte blocks, adds the drawn sectors while the PV is suspended, then enables it", () => {
    const f = translate(healing, drew([4000, 2100]));
    expect(f.dust?.badBlocks).toBe(2);
    expect(f.note).toMatch(/a dust table \(512-byte blocks\) with 2 bad sectors, enabled/);
    const { calls, out } = dmsetupCalls(f.fire);
    expect(calls).toEqual([
      "load pv0 --table 0 131072 dust /dev/vdb 0 512",
      "resume pv0",
      "suspend pv0",
      "message pv0 0 quiet",
      "message pv0 0 addbadblock 2100",
      "message pv0 0 addbadblock 4000",
      "message pv0 0 enable",
      "resume pv0",
      "message pv0 0 countbadblocks",
      "status pv0",
    ]);
    expect(out).toContain("@@M FAULT latent-sector-errors pv0");
    expect(out).toMatch(
      /^@@M DUST pv0 countbadblocks: 9 badblock\(s\) found 0 131072 dust .*fail_read_on_bad_block/m,
    );
  });

  it("resumes the PV and reports a WARN when arming fails (no dust target, a refused block)", () => {
    const f = translate(healing, drew([2100, 4000]));
    const { calls, out } = dmsetupCalls(f.fire, "addbadblock 2100");
    expect(calls.at(-1)).toBe("resume pv0");
    expect(calls).not.toContain("message pv0 0 enable");
    expect(out).toContain("@@M WARN dust table under pv0 failed");
    expect(out).not.toContain("FAULT");
  });

  it("keeps a bad sector 0 as an error segment: dm-dust takes every flush for a write there", () => {
    const f = translate(healing, drew([7, 0]));
    expect(f.dust?.badBlocks).toBe(1);
    expect(f.note).toMatch(/sector 0 is an error segment/);
    const { calls } = dmsetupCalls(f.fire);
    expect(calls[0]).toBe("load pv0");
    expect(f.fire).toContain(`"0 1 error" "1 131071 dust $D_pv0 1 512" | dmsetup load pv0`);
    expect(calls).toContain("message pv0 1 addbadblock 7");
    expect(calls).toContain("message pv0 1 enable");
    expect(dustArming(pvs[0]!, [0]).arm).not.toContain("addbadblock");
  });

  it("refuses when the guest has no dm-dust, and past the bad block cap", () => {
    expect(() =>
      translateDeviceFault(parseFaultSpec(healing), 0, {
        pvs,
        phases,
        facts: drew([2100]),
        dustMissing: "the host lacks make",
      }),
    ).toThrow(
      /faults\[0\]: latent-sector-errors with healOnWrite needs dm-dust, which the guest lacks: the host lacks make/,
    );
    const many = Array.from({ length: DUST_BAD_BLOCKS_MAX + 1 }, (_, i) => 2048 + i);
    expect(() => translate(healing, drew(many))).toThrow(/at most 4096 are translated/);
  });

  it("refuses a write count through a dust PV unless it surely fires before the dust table", () => {
    const scenario = (cutWrite: number) =>
      defineScenario({
        name: "t-dust-count",
        description: "test",
        pvs: [
          { name: "pv0", size: "64MiB" },
          { name: "pv1", size: "64MiB" },
        ],
        setup: ["pvcreate pv0 pv1", "vgcreate vg0 pv0 pv1", "lvcreate -an -Zn -l 4 -n lv0 vg0 pv0"],
        phases: [workload],
        faults: [
          { ...healing, at: { write: 100 } },
          { kind: "power-cut", at: { write: cutWrite }, policy: { kind: "keep-all" } },
        ],
      });
    expect(() => translateScenario(scenario(500), { seed: 1 })).toThrow(
      /faults\[1\]: its write count includes pv0, where faults\[0\]'s dm-dust table may already split every I\/O/,
    );
    const plan = translateScenario(scenario(50), { seed: 1, faultFacts: new Map([[0, drew([2100])]]) });
    expect(plan.faults[0]?.dust?.badBlocks).toBe(1);
    // The end of the run reports what is left of the bad blocks, when the dust table is still there.
    const collect = verifyAndCollect(scenario(50), plan, { sameBoot: true });
    expect(collect).toContain(
      'dmsetup table pv0 | grep -q " dust " && echo "$M DUST pv0 $(dmsetup message pv0 0 countbadblocks)',
    );
  });
});
