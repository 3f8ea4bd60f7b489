/** Shared helpers for the report tests: fixture paths and byte-for-byte golden files. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

/** Folder of the report fixtures and golden files. */
export const FIXTURES = join("test", "fixtures", "reports");

/** Path of a fixture file, relative to the repository root (vitest's working directory). */
export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/**
 * Compares `actual` with the golden file byte for byte; with UPDATE_GOLDEN=1 rewrites it instead.
 * A missing golden file fails, so a forgotten update cannot pass silently.
 */
export function expectGolden(actual: string, name: string): void {
  const path = fixture(name);
  if (process.env.UPDATE_GOLDEN === "1") {
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path))
    throw new Error(`Golden file ${path} is missing; run with UPDATE_GOLDEN=1 to create it`);
  const expected = readFileSync(path, "utf8");
  expect(actual).toBe(expected);
}

/** One NDJSON line per object. */
export function ndjson(records: readonly object[]): string {
  return `${records.map((r) => JSON.stringify(r)).join("\n")}\n`;
}

/** A valid case record with the given overrides. */
export function caseRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "case",
    scenario: "pvmove-power-cut",
    seed: 1,
    status: "pass",
    crashPoint: null,
    faults: [{ kind: "power-cut" }],
    verify: { ok: 10, lost: 0, stale: 0, torn: 0, misdirected: 0, corrupt: 0, unreadable: 0 },
    replay: "lvmlab replay --scenario pvmove-power-cut --seed 1",
    ...overrides,
  };
}

/** A valid bench record with the given overrides. */
export function benchRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "bench",
    config: "linear",
    workload: "randwrite-4k",
    profile: "ssd",
    seed: 1,
    repetition: 0,
    iops: 10_000,
    mbps: 40.96,
    latNs: { p50: 100_000, p90: 150_000, p99: 300_000, p999: 700_000, max: 2_000_000 },
    writeAmplification: 1,
    ...overrides,
  };
}
