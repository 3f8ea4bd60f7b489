import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../engine/block/memory.js";
import { Host, type HostFiles } from "../../../engine/lvm/host.js";
import { runLvm } from "../../../engine/lvm/run.js";

const MiB = 1024 * 1024;

function machine(files?: HostFiles): Host {
  const devices = ["pv0", "pv1"].map((n) => new MemoryDevice(n, 64 * MiB));
  return new Host({
    devices: devices.map((d) => [d.name, d] as const),
    seed: "pvck-dump",
    ...(files ? { files } : {}),
  });
}

function ok(host: Host, line: string): string {
  const run = runLvm(host, line.split(" "));
  expect(run.exitCode, run.stderr).toBe(0);
  return run.stdout;
}

describe("pvck --dump", () => {
  it("headers: every label, pv_header and mda_header field, and the committed text's crc", () => {
    const host = machine();
    ok(host, "pvcreate pv0 pv1");
    ok(host, "vgcreate vg0 pv0 pv1");
    const out = ok(host, "pvck --dump headers pv0").split("\n");
    expect(out.slice(0, 6)).toEqual([
      "  label_header at 512",
      "  label_header.id LABELONE",
      "  label_header.sector 1",
      expect.stringMatching(/^ {2}label_header\.crc 0x[0-9a-f]+$/),
      "  label_header.offset 32",
      "  label_header.type LVM2 001",
    ]);
    expect(out).toContain("  pv_header.disk_locn[2] at 616 # location of metadata area");
    expect(out).toContain("  mda_header_1.magic 0x204c564d3220785b35412572304e2a3e");
    expect(out.at(-2)).toMatch(/^ {2}metadata text at \d+ crc 0x[0-9a-f]+ # vgname vg0 seqno 1$/);
  });

  it("metadata prints the committed copy between --- lines; metadata_all lists every copy", () => {
    const host = machine();
    ok(host, "pvcreate pv0 pv1");
    ok(host, "vgcreate vg0 pv0 pv1");
    ok(host, "lvcreate -an -Zn -l 1 -n lv0 vg0");
    const metadata = ok(host, "pvck --dump metadata pv0");
    expect(metadata).toMatch(
      /^ {2}metadata text at \d+ crc 0x[0-9a-f]+ # vgname vg0 seqno 2\n {2}---\nvg0 \{\n/,
    );
    expect(metadata.endsWith("\n\n\n  ---\n")).toBe(true);
    const all = ok(host, "pvck --dump metadata_all pv0").trimEnd().split("\n");
    expect(all.map((l) => l.replace(/ crc \w+ /, " crc C ").replace(/ id \S+$/, ""))).toEqual([
      expect.stringMatching(/^ {2}metadata at 4608 length \d+ crc C vg vg0 seqno 1$/),
      expect.stringMatching(/^ {2}metadata at \d+ length \d+ crc C vg vg0 seqno 2$/),
    ]);
  });

  it("writes -f files once (fopen wx) and needs -f for metadata_area", () => {
    const written = new Map<string, Uint8Array>();
    const files: HostFiles = {
      readText: () => "",
      writeText: () => undefined,
      createBytes(path, bytes) {
        if (written.has(path)) throw new Error("exists");
        written.set(path, bytes);
      },
    };
    const host = machine(files);
    ok(host, "pvcreate pv0");
    ok(host, "vgcreate vg0 pv0");
    expect(ok(host, "pvck --dump metadata_area -f area pv0")).toBe("");
    expect(written.get("area")?.length).toBe(1044480 - 512);
    const again = runLvm(host, ["pvck", "--dump", "metadata", "-f", "area", "pv0"]);
    expect(again.stderr).toBe("  Failed to create file area\n");
    const noFile = runLvm(host, ["pvck", "--dump", "metadata_area", "pv0"]);
    expect([noFile.exitCode, noFile.stderr]).toEqual([5, "  Found bad header or metadata values.\n"]);
  });

  it("says zero metadata copies for a PV without mdas, and refuses bad settings and dump values", () => {
    const host = machine();
    ok(host, "pvcreate --pvmetadatacopies 0 pv0");
    expect(ok(host, "pvck --dump headers pv0")).toContain("  zero metadata copies\n");
    const second = runLvm(host, ["pvck", "--dump", "metadata", "--settings", "mda_num=2", "pv1"]);
    expect(second.stdout).toContain("CHECK: label_header.id expected LABELONE");
    expect(runLvm(host, ["pvck", "--dump", "metadata", "--settings", "colour=blue", "pv0"]).stderr).toBe(
      "  Invalid setting: colour\n",
    );
    expect(runLvm(host, ["pvck", "--dump", "everything", "pv0"]).stderr).toBe("  Unknown dump value.\n");
  });
});
