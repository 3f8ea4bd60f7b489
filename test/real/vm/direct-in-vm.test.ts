import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { type DirectInVmCase, runDirectInVm } from "../../../real/direct-in-vm.js";
import { prepareGuest } from "./prepare-guest.js";

/**
 * Direct mode's Node side on a real dm kernel: one guest boot mounts an ext4 image holding the host's
 * node and this checkout's dist/ (real/node-image.ts) and runs the real `lvmlab real run --direct`
 * for a linear power cut (TMPDIR on ext4: the loops get direct I/O; the cut kills the script's
 * process group and loads error tables from Node) and then a mirror leg loss (TMPDIR on tmpfs: no
 * O_DIRECT, the loops run buffered and the run says so). The second run reuses vg0 after the first
 * tore down, so a teardown that leaves LVM2's /dev/vg0 links fails it at vgcreate. Both must agree
 * with the model and leave no dm device, loop device, device node or work dir in the guest.
 */
const CASES: readonly DirectInVmCase[] = [
  { scenario: "linear-power-cut-subset", seed: 1, scratch: "ext4" },
  // seed 1 loses pv0, the mirror's default leg (see real-vs-model.test.ts).
  { scenario: "mirror-leg-loss-remove", seed: 1, scratch: "tmpfs" },
];

const prepared = prepareGuest();
if (prepared.skip !== undefined) console.log(`direct-in-vm: ${prepared.skip}`);
const hasMkfs = existsSync("/usr/sbin/mkfs.ext4") || existsSync("/sbin/mkfs.ext4");
if (!hasMkfs) console.log("direct-in-vm: skipped: mkfs.ext4 is not installed (apt-get install e2fsprogs)");

describe.skipIf(prepared.setup === undefined || !hasMkfs)(
  "lvmlab real run --direct on a real dm kernel",
  () => {
    it("agrees with the model and tears down everything it made, in one guest boot", {
      timeout: 900_000,
    }, async () => {
      const before = new Set(readdirSync(tmpdir()));
      const started = performance.now();
      const result = await runDirectInVm(prepared.setup!, {
        cases: CASES,
        timeoutMs: 600_000,
        caseTimeoutMs: 300_000,
      });
      console.log(
        `direct-in-vm: ${((performance.now() - started) / 1000).toFixed(0)} s on the host (${result.boot.accel}), node start ${result.node?.startMs} ms in the guest, ${result.outcomes
          .map((o) => `${o.scenario} ${((o.guestMs ?? 0) / 1000).toFixed(0)} s`)
          .join(", ")}`,
      );
      expect(result.boot.ended, result.boot.tail.join("\n")).toBe("poweroff");
      expect(result.node?.version).toBe(process.version);
      expect(result.outcomes).toHaveLength(CASES.length);
      for (const [i, outcome] of result.outcomes.entries()) {
        const why = `${outcome.scenario}:\n${outcome.output.join("\n")}`;
        expect(outcome.exitCode, why).toBe(0);
        const run = outcome.records.find((r) => r.type === "real-run");
        expect(run, why).toBeDefined();
        // No green without work: direct mode ran (not the VM path), verified data, the model passed.
        expect(run!.accel).toBe("direct");
        expect(run!.modelStatus).toBe("pass");
        expect(run!.realVerifiedKib as number).toBeGreaterThan(0);
        expect(run!.unexplained).toBe(0);
        // Every difference that remains is a known, documented one.
        for (const d of outcome.records.filter((r) => r.type === "real-diff"))
          expect(d.explained, JSON.stringify(d)).toBeDefined();
        const boots = (run!.boots as { ended: string }[]).map((b) => b.ended);
        if (i === 0) {
          // The power cut: DirectHost killed the script's process group at the CUT line, then booted again.
          expect(boots).toEqual(["killed", "poweroff"]);
          expect(run!.cut).toMatch(/^after \d+ completed PV writes/);
        } else {
          expect(boots).toEqual(["poweroff"]);
          expect(run!.notes as string[]).toContainEqual(expect.stringMatching(/^guest fault: pv-loss pv0/));
        }
        const buffered = (run!.notes as string[]).some((n) => n.includes("without direct I/O"));
        expect(buffered, why).toBe(CASES[i]!.scratch === "tmpfs");
        // Teardown left nothing behind in the guest.
        expect(outcome.dmLeft, why).toEqual([]);
        expect(outcome.loopsLeft, why).toEqual([]);
        expect(outcome.devNodesLeft, why).toEqual([]);
        expect(outcome.workDirsLeft, why).toEqual([]);
      }
      // The image and its temp dir are gone with the VM.
      expect(
        readdirSync(tmpdir()).filter((n) => n.startsWith("lvmlab-direct-vm-") && !before.has(n)),
      ).toEqual([]);
    });
  },
);
