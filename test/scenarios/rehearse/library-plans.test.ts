/**
 * The library's migration plans (scenarios/rehearse/plans/*.plan) stay runnable: the command in
 * each plan's header parses, its plan checks against the real-LVM2 backup, and a clean run of it
 * ends where it should (every step exits 0, the old disks leave the VG, the data verifies).
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkRequest } from "../../../scenarios/rehearse/inputs.js";
import { planRehearsal } from "../../../scenarios/rehearse/rehearse.js";

const DIR = fileURLToPath(new URL("../../../scenarios/rehearse/plans/", import.meta.url));
const PLANS = readdirSync(DIR)
  .filter((f) => f.endsWith(".plan"))
  .sort();

/** The `lvmlab rehearse …` command a plan's header comment documents, split into words. */
function headerCommand(text: string): string[] {
  const lines = text.split("\n").filter((l) => l.startsWith("#"));
  const start = lines.findIndex((l) => l.includes("lvmlab rehearse"));
  const joined = lines
    .slice(start)
    .map((l) => l.replace(/^#\s*/, "").replace(/\\$/, ""))
    .join(" ");
  return [...joined.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

function flag(words: readonly string[], name: string): string[] {
  return words.flatMap((w, i) => (w === name ? [words[i + 1]!] : []));
}

describe("library migration plans", () => {
  it("has the three usual migrations", () => {
    expect(PLANS).toEqual(["hdd-to-ssd.plan", "local-to-san.plan", "replace-failing-disk.plan"]);
  });

  for (const name of PLANS) {
    it(`${name}: its documented command checks and a clean run empties the old disks`, () => {
      const text = readFileSync(`${DIR}${name}`, "utf8");
      const words = headerCommand(text);
      expect(words.slice(0, 2)).toEqual(["lvmlab", "rehearse"]);
      const backupFile = flag(words, "--backup")[0]!;
      const checked = checkRequest({
        backup: { file: backupFile, text: readFileSync(`${DIR}${backupFile.split("/").at(-1)}`, "utf8") },
        plan: { file: name, text },
        profiles: flag(words, "--profile"),
        newDisks: flag(words, "--new-disk"),
        seed: 1,
      });
      const plan = planRehearsal(checked.input, {
        maxPoints: 1,
        latePv: checked.latePv,
        policy: { kind: "keep-all" },
        replayBase: "lvmlab rehearse",
      });
      expect(plan.steps.map((s) => s.timing.exitCode)).toEqual(plan.steps.map(() => 0));
      const removed = checked.input.steps.filter((s) => s.command === "pvremove").flatMap((s) => s.devices);
      for (const device of removed) expect(plan.clean.intendedVg.pvs).not.toContain(device);
      expect([...plan.clean.intendedVg.lvs.keys()].sort()).toEqual(["lv_db", "lv_home"]);
    }, 10_000);
  }
});
