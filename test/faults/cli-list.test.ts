import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../../cli/program.js";
import { FAULT_CATALOGUE } from "../../faults/catalogue.js";
import { FAULT_KIND_NAMES } from "../../faults/schema.js";

let stdout = "";
let stderr = "";

beforeEach(() => {
  stdout = "";
  stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe("lvmlab faults --list", () => {
  it("prints every fault kind with its parameters", async () => {
    expect(await runCli(["faults", "--list"])).toBe(0);
    for (const kind of FAULT_KIND_NAMES)
      expect(stdout).toMatch(new RegExp(`^${kind}( \\(windowed\\))?$`, "m"));
    expect(stdout).toMatch(/^ {2}healOnWrite +boolean +true +A write over a bad sector remaps it$/m);
    expect(stdout).toContain("at.write + at.device?");
  });

  it("prints JSON for machines", async () => {
    expect(await runCli(["faults", "--list", "--json"])).toBe(0);
    const parsed = JSON.parse(stdout) as { kinds: { kind: string; params: { name: string }[] }[] };
    expect(parsed.kinds.map((k) => k.kind)).toEqual([...FAULT_KIND_NAMES]);
    expect(parsed.kinds.find((k) => k.kind === "flakey")?.params.map((p) => p.name)).toContain("dropWrites");
  });

  it("filters by kind and prints the README's Markdown table", async () => {
    expect(await runCli(["faults", "--list", "--kind", "torn-write", "--markdown"])).toBe(0);
    expect(stdout.split("\n").filter((l) => l.startsWith("| `"))).toHaveLength(1);
    expect(stdout).toContain("| `torn-write` |");
    expect(FAULT_CATALOGUE).toHaveLength(FAULT_KIND_NAMES.length);
  });

  it("rejects bad usage with exit code 2 and a message saying what to do", async () => {
    expect(await runCli(["faults"])).toBe(2);
    expect(stderr).toContain("lvmlab: Nothing to do: pass --list");
    stderr = "";
    expect(await runCli(["faults", "--list", "--kind", "meteor"])).toBe(2);
    expect(stderr).toMatch(/Unknown fault kind "meteor" in --kind; known kinds: pv-loss, power-cut/);
  });
});
