import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../cli/program.js";

function lines(path: string): { type: string; key?: string; status?: string }[] {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string });
}

describe("lvmlab run / merge / replay", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvmlab-cli-"));

  it("shards a sweep, merges the shards back, and replays a case byte for byte", async () => {
    const a = join(dir, "a.ndjson");
    const b = join(dir, "b.ndjson");
    const base = ["run", "linear-power-cut-subset", "metadata-corrupt-one-pv", "--seeds", "1..4", "-q"];
    expect(await runCli([...base, "--shard", "1/2", "--ndjson", a])).toBe(0);
    expect(await runCli([...base, "--shard", "2/2", "--ndjson", b])).toBe(0);
    const keysA = lines(a)
      .filter((r) => r.type === "case")
      .map((r) => r.key);
    const keysB = lines(b)
      .filter((r) => r.type === "case")
      .map((r) => r.key);
    expect(keysA.length + keysB.length).toBe(8);
    expect(keysA.filter((k) => keysB.includes(k))).toEqual([]);

    const merged = join(dir, "merged.ndjson");
    expect(await runCli(["merge", a, b, "--ndjson", merged])).toBe(0);
    const all = lines(merged);
    expect(all.filter((r) => r.type === "case")).toHaveLength(8);
    expect(all.at(-1)).toMatchObject({ type: "summary", cases: 8, passed: 8, failed: 0 });

    const out = join(dir, "replay.txt");
    const write = process.stdout.write.bind(process.stdout);
    let captured = "";
    process.stdout.write = ((chunk: string) => {
      captured += chunk;
      return true;
    }) as typeof process.stdout.write;
    try {
      expect(await runCli(["replay", "--record", `${a}:2`])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    appendFileSync(out, captured);
    expect(captured.trim()).toBe(readFileSync(a, "utf8").split("\n")[1]);
  });

  it("resumes a sweep without rerunning recorded cases", async () => {
    const file = join(dir, "resume.ndjson");
    expect(await runCli(["run", "bit-rot-detected", "--seeds", "1..2", "--ndjson", file, "-q"])).toBe(0);
    expect(await runCli(["run", "bit-rot-detected", "--seeds", "1..4", "--resume", file, "-q"])).toBe(0);
    const cases = lines(file).filter((r) => r.type === "case");
    expect(cases.map((r) => r.key)).toEqual([
      "bit-rot-detected@1",
      "bit-rot-detected@2",
      "bit-rot-detected@3",
      "bit-rot-detected@4",
    ]);
  });

  it("refuses bad usage with exit code 2", async () => {
    expect(await runCli(["run", "no-such-scenario", "-q"])).toBe(2);
    expect(await runCli(["run", "--seeds", "9..1", "-q"])).toBe(2);
    expect(await runCli(["run", "--workers", "0", "-q"])).toBe(2);
    const torn = join(dir, "torn.ndjson");
    appendFileSync(torn, '{"type":"case","key":"a@1","status":"pass"}\n{"type":"ca');
    expect(await runCli(["merge", torn, "--ndjson", join(dir, "x.ndjson")])).toBe(2);
  });

  it("lists the library", async () => {
    expect(await runCli(["list", "nightly"])).toBe(0);
    expect(await runCli(["list", "nope-*"])).toBe(2);
  });
});
