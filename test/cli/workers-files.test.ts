import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../cli/program.js";

const built = existsSync(new URL("../../dist/scenarios/worker.js", import.meta.url));

describe("lvmlab run on workers and on image files", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvmlab-workers-"));

  it("writes the same bytes on two worker threads as on one", async (ctx) => {
    ctx.skip(!built, "skipped: dist/ is not built (npm test builds it first)");
    const one = join(dir, "one.ndjson");
    const two = join(dir, "two.ndjson");
    const args = ["run", "linear-power-cut-subset", "bit-rot-detected", "--seeds", "1..3", "-q"];
    expect(await runCli([...args, "--ndjson", one])).toBe(0);
    expect(await runCli([...args, "--workers", "2", "--ndjson", two])).toBe(0);
    expect(readFileSync(two, "utf8")).toBe(readFileSync(one, "utf8"));
    // Image files on two workers give the same records as memory on one.
    const files = join(dir, "files.ndjson");
    const fileArgs = ["--devices", "file", "--work-dir", join(dir, "w-files"), "--workers", "2"];
    expect(await runCli([...args, ...fileArgs, "--ndjson", files])).toBe(0);
    expect(readFileSync(files, "utf8")).toBe(readFileSync(one, "utf8"));
  });

  it("runs on image files and keeps the images at the crash and after recovery", async () => {
    const work = join(dir, "work");
    const keep = join(dir, "keep");
    const args = [
      "replay",
      "linear-power-cut-subset@2",
      "--devices",
      "file",
      "--work-dir",
      work,
      "--keep",
      keep,
    ];
    const write = process.stdout.write.bind(process.stdout);
    let out = "";
    process.stdout.write = ((chunk: string) => {
      out += chunk;
      return true;
    }) as typeof process.stdout.write;
    try {
      expect(await runCli(args)).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(JSON.parse(out)).toMatchObject({ status: "pass", key: "linear-power-cut-subset@2" });
    expect(readdirSync(join(keep, "crash")).sort()).toEqual(["pv0.img", "pv1.img", "pv2.img"]);
    expect(readdirSync(join(keep, "recovered")).sort()).toEqual(["pv0.img", "pv1.img", "pv2.img"]);
    // The kept image is a real PV: LVM2's label sits in sector 1.
    const image = readFileSync(join(keep, "recovered", "pv0.img"));
    expect(image.subarray(512, 520).toString("latin1")).toBe("LABELONE");
    // Memory and file backends give the same result for the same seed.
    let memory = "";
    process.stdout.write = ((chunk: string) => {
      memory += chunk;
      return true;
    }) as typeof process.stdout.write;
    try {
      expect(await runCli(["replay", "linear-power-cut-subset@2"])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(memory).toBe(out);
  });

  it("lvmlab run --keep leaves each case's images in a folder of its own", async () => {
    const keep = join(dir, "keep-run");
    const args = [
      "run",
      "linear-power-cut-subset",
      "--seeds",
      "1..2",
      "--devices",
      "file",
      "--work-dir",
      join(dir, "w2"),
    ];
    expect(await runCli([...args, "--keep", keep, "-q"])).toBe(0);
    expect(readdirSync(keep).sort()).toEqual(["linear-power-cut-subset@1", "linear-power-cut-subset@2"]);
    expect(readdirSync(join(keep, "linear-power-cut-subset@1", "crash")).sort()).toEqual([
      "pv0.img",
      "pv1.img",
      "pv2.img",
    ]);
  });
});

describe("lvmlab run --check-determinism", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvmlab-determinism-"));

  it("runs each case in this thread and on a worker, passes identical runs, writes the usual bytes", async (ctx) => {
    ctx.skip(!built, "skipped: dist/ is not built (npm test builds it first)");
    const plain = join(dir, "plain.ndjson");
    const checked = join(dir, "checked.ndjson");
    const args = ["run", "pvmove-cut-resume", "bit-rot-detected", "--seeds", "1..2", "-q"];
    expect(await runCli([...args, "--ndjson", plain])).toBe(0);
    expect(await runCli([...args, "--check-determinism", "--ndjson", checked])).toBe(0);
    expect(readFileSync(checked, "utf8")).toBe(readFileSync(plain, "utf8"));
    expect(await runCli([...args, "--workers", "2", "--check-determinism", "--ndjson", checked])).toBe(0);
    expect(readFileSync(checked, "utf8")).toBe(readFileSync(plain, "utf8"));
  });
});
