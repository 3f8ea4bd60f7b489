/** `npm start` rebuilds only when a build input is newer than dist/.build-stamp (real processes). */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../../scripts/build-if-stale.mjs", import.meta.url));

function check(root: string): { code: number | null; out: string } {
  const run = spawnSync(process.execPath, [SCRIPT, "--check", root], { encoding: "utf8" });
  return { code: run.status, out: run.stdout };
}

describe("scripts/build-if-stale.mjs", () => {
  it("is stale without a stamp, current after one, stale again when a source changes", () => {
    const root = mkdtempSync(join(tmpdir(), "lvmlab-fresh-"));
    mkdirSync(join(root, "cli"));
    writeFileSync(join(root, "cli", "main.ts"), "export {};\n");
    writeFileSync(join(root, "tsconfig.json"), "{}\n");
    const past = Date.now() / 1000 - 60;
    utimesSync(join(root, "cli", "main.ts"), past, past);
    utimesSync(join(root, "tsconfig.json"), past, past);
    expect(check(root)).toEqual({ code: 1, out: "stale: dist/ has no build stamp\n" });
    expect(spawnSync(process.execPath, [SCRIPT, "--stamp", root]).status).toBe(0);
    expect(check(root)).toEqual({ code: 0, out: "dist/ is current\n" });
    const future = Date.now() / 1000 + 60;
    utimesSync(join(root, "cli", "main.ts"), future, future);
    expect(check(root).code).toBe(1);
    expect(check(root).out).toMatch(/main\.ts changed after the last build/);
  });
});
