import { describe, expect, it } from "vitest";
import {
  FAULT_KIND_NAMES,
  FaultSpecError,
  formatIssuePath,
  parseFaultSpec,
  parseFaultSpecs,
} from "../../faults/schema.js";

function issuesOf(input: unknown): readonly string[] {
  try {
    parseFaultSpecs(input);
  } catch (error) {
    if (error instanceof FaultSpecError) return error.issues;
    throw error;
  }
  throw new Error("expected the specs to be rejected");
}

describe("fault schemas", () => {
  it("names the field path the way a scenario author reads it", () => {
    const issues = issuesOf([
      { kind: "pv-loss", device: "pv0", at: { timeNs: 0 } },
      { kind: "power-cut", at: { timeNs: 5 } },
      { kind: "power-cut", at: { event: 42 } },
    ]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^faults\[2\]\.at\.event: /);
    expect(formatIssuePath(["faults", 2, "at", "event"])).toBe("faults[2].at.event");
  });

  it("fills defaults so a record carries every parameter", () => {
    expect(
      parseFaultSpec({ kind: "latent-sector-errors", device: "pv0", count: 3, at: { write: 1 } }),
    ).toEqual({
      kind: "latent-sector-errors",
      device: "pv0",
      count: 3,
      at: { write: 1 },
      rangeStartSector: 0,
      healOnWrite: true,
    });
    expect(parseFaultSpec({ kind: "power-cut", at: { timeNs: 1 } })).toMatchObject({
      policy: { kind: "subset" },
      perDevice: {},
    });
  });

  it("requires exactly one trigger kind and keeps trigger fields with their owner", () => {
    expect(issuesOf([{ kind: "power-cut", at: {} }])).toEqual([
      "faults[0].at: Expected exactly one of timeNs, write, event, after (got none)",
    ]);
    expect(issuesOf([{ kind: "power-cut", at: { timeNs: 1, write: 2 } }])[0]).toContain(
      "(got timeNs, write)",
    );
    expect(issuesOf([{ kind: "power-cut", at: { timeNs: 1, device: "pv0" } }])).toEqual([
      "faults[0].at.device: Only allowed together with write",
    ]);
    expect(issuesOf([{ kind: "power-cut", at: { write: 0 } }])[0]).toMatch(/^faults\[0\]\.at\.write: /);
  });

  it("rejects unknown kinds, unknown fields, and kind-specific contradictions", () => {
    expect(issuesOf([{ kind: "meteor", at: { timeNs: 1 } }])[0]).toMatch(/^faults\[0\]\.kind: /);
    expect(issuesOf([{ kind: "pv-loss", device: "pv0", at: { timeNs: 1 }, colour: "red" }])[0]).toMatch(
      /colour/,
    );
    expect(
      issuesOf([
        {
          kind: "flakey",
          device: "pv0",
          upNs: 1,
          downNs: 1,
          dropWrites: true,
          errorWrites: true,
          at: { timeNs: 0 },
        },
      ]),
    ).toEqual(["faults[0].errorWrites: Cannot combine with dropWrites"]);
    expect(issuesOf([{ kind: "sync-stall", at: { timeNs: 0 } }])).toEqual([
      "faults[0].target: Required when mode is stall",
    ]);
    expect(
      issuesOf([{ kind: "bit-rot", device: "d", at: { timeNs: 0 }, window: { durationNs: 5 } }]),
    ).toEqual(["faults[0].window: Only allowed when mode is on-read"]);
    expect(issuesOf([{ kind: "latent-sector-errors", device: "d", at: { timeNs: 0 } }])[0]).toContain(
      "Expected exactly one of sectors (given) or count (seeded)",
    );
    expect(issuesOf([{ kind: "power-cut", at: { timeNs: 0 }, window: { durationNs: 1 } }])[0]).toMatch(
      /window/,
    );
  });

  it("checks ids and after references across the list", () => {
    expect(
      issuesOf([
        { kind: "power-cut", at: { after: "later" } },
        { id: "later", kind: "pv-loss", device: "pv0", at: { timeNs: 1 } },
        { id: "later", kind: "pv-loss", device: "pv1", at: { timeNs: 1 } },
      ]),
    ).toEqual([
      'faults[0].at.after: No earlier fault has id "later"; give that fault an id and list it first',
      'faults[2].id: Duplicate id "later"',
    ]);
    expect(issuesOf({})).toEqual(["faults: Expected an array of fault specs"]);
  });

  it("accepts one valid spec of every kind", () => {
    const specs = [
      { kind: "pv-loss", device: "pv0", at: { timeNs: 1 }, window: { durationNs: 5 }, returnAs: "blank" },
      {
        kind: "power-cut",
        at: { event: "pvmove.checkpoint", occurrence: 3 },
        policy: { kind: "prefix", count: 2 },
      },
      { kind: "torn-write", at: { write: 3, device: "pv1" } },
      {
        kind: "sync-stall",
        target: "vg-lv",
        at: { event: "mirror.resync.step" },
        window: { untilEvent: "x" },
      },
      { kind: "slow-device", device: "pv0", factor: 2, at: { timeNs: 0 } },
      { kind: "latent-sector-errors", device: "pv0", sectors: [1, 2], at: { timeNs: 0 } },
      { kind: "bit-rot", device: "pv0", mode: "on-read", at: { timeNs: 0 }, window: { durationNs: 1 } },
      { kind: "misdirected-write", at: { write: 1 } },
      { kind: "metadata-corruption", scope: "all-but-one", field: "text", at: { timeNs: 0 } },
      { kind: "cow-exhaustion", snapshot: "s", at: { timeNs: 0 } },
      {
        kind: "flakey",
        device: "pv0",
        upNs: 10,
        downNs: 10,
        corruptBioByte: { nth: 1, direction: "r", value: 0 },
        at: { timeNs: 0 },
      },
      { kind: "thin-metadata-corruption", pool: "vg0/pool", at: { event: "thin.pool.close" } },
      { kind: "thin-metadata-exhaustion", pool: "vg0/pool", at: { event: "thin.commit" } },
    ];
    expect(parseFaultSpecs(specs).map((s) => s.kind)).toEqual([...FAULT_KIND_NAMES]);
  });
});
