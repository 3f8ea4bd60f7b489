import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lvmNoise } from "../../support/real-lvm2.js";
import { lvm, makeHost, parseTranscript } from "./helpers.js";

const TRANSCRIPT = readFileSync(new URL("../../fixtures/lvm2/transcript-basic.txt", import.meta.url), "utf8");

describe("the real LVM2 2.03.16 transcript", () => {
  // The transcript was recorded with --driverloaded n; LVM2 prints stderr and stdout interleaved,
  // so each step compares the set of lines and the exit code.
  const steps = parseTranscript(TRANSCRIPT);
  const host = makeHost(["/dev/loop0", "/dev/loop1", "/dev/loop2", "/dev/loop3"]);
  const results = steps.map((step) => {
    const run = lvm(host, `${step.command} --driverloaded n`);
    // The transcript was recorded without LVM2's activation and zeroing warnings (lvmNoise);
    // lvmlab prints them as LVM2 does, so the same filter applies to both.
    const lines = `${run.stdout}${run.stderr}`.split("\n").filter((l) => l !== "" && !lvmNoise(l));
    return { step, run, lines };
  });

  it("has the steps it claims", () => {
    expect(steps.length).toBeGreaterThan(40);
  });

  for (const [i, { step }] of results.entries()) {
    it(`step ${i + 1}: ${step.command}`, () => {
      const { run, lines } = results[i]!;
      expect(run.exitCode).toBe(step.exit);
      expect([...lines].sort()).toEqual([...step.output].sort());
    });
  }

  it("prints report lines in LVM2's order", () => {
    const lvsStep = results.find((r) => r.step.command.startsWith("lvs -a --segments"))!;
    expect(lvsStep.run.stdout.split("\n").filter(Boolean)).toEqual(lvsStep.step.output);
  });
});
