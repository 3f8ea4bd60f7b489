import { describe, expect, it } from "vitest";
import { MDA_HEADER_BYTES } from "../../../engine/format/mda-header.js";
import { DEFAULT_MDA_START_BYTES } from "../../../engine/format/pv-layout.js";
import type { Host } from "../../../engine/lvm/host.js";
import { findVg, scanHost } from "../../../engine/lvm/vg-read.js";
import { lvm, makeHost } from "./helpers.js";

function writes(host: Host): number {
  let total = 0;
  for (const device of host.devices.values()) total += device.stats.writeOps;
  return total;
}

function ok(host: Host, line: string): string {
  const run = lvm(host, line);
  expect(run.exitCode, `${line}\n${run.stderr}`).toBe(0);
  return run.stdout;
}

/** vg0 over a, b, c with LVs keep (on a) and lost (on c), rebooted without device c. */
function rebootWithoutC(): Host {
  const host = makeHost(["a", "b", "c"]);
  ok(host, "vgcreate vg0 a b c");
  ok(host, "lvcreate -an -l 2 -n keep vg0 a");
  ok(host, "lvcreate -an -l 2 -n lost vg0 c");
  return makeHost([], {
    devices: [
      ["a", host.device("a")!],
      ["b", host.device("b")!],
    ],
  });
}

function vgsLine(host: Host, fields: string): string {
  return ok(host, `vgs --noheadings --separator , -o ${fields}`).trim();
}

describe("failing commands write nothing", () => {
  const cases = [
    "vgcreate vg0 d",
    "vgextend vg0 a",
    "vgreduce vg0 a",
    "lvcreate -L 1G -n big vg0",
    "lvcreate -l 1 -n lv0 vg0",
    "lvcreate -l 1 -n bad/name vg0",
    "lvcreate -l 1 -n x vg0 nosuch",
    "lvextend -l 1 vg0/lv0",
    "lvreduce -l +1 vg0/lv0",
    "lvrename vg0 lv0 lv1",
    "lvremove vg0/nosuch",
    "vgrename vg0 vg0",
    "pvremove a",
    "pvcreate a",
    "vgmerge vg0 vg0x",
    "lvcreate --bogus vg0",
  ];
  for (const line of cases) {
    it(line, () => {
      const host = makeHost(["a", "b", "c", "d"]);
      ok(host, "vgcreate vg0 a b");
      ok(host, "vgcreate vg1 c");
      ok(host, "lvcreate -an -l 2 -n lv0 vg0");
      ok(host, "lvcreate -an -l 1 -n lv1 vg0");
      const before = writes(host);
      const run = lvm(host, line);
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr).not.toBe("");
      expect(writes(host)).toBe(before);
    });
  }
});

describe("volume group commands", () => {
  it("vgsplit moves PVs and the LVs wholly on them; vgmerge folds them back", () => {
    const host = makeHost(["a", "b", "c"]);
    ok(host, "vgcreate vg0 a b c");
    ok(host, "lvcreate -an -l 2 -n onA vg0 a");
    ok(host, "lvcreate -an -l 2 -n onC vg0 c");
    ok(host, "lvcreate -an -i 2 -l 2 -n span vg0 a b");
    const refused = lvm(host, "vgsplit vg0 vg1 b");
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toContain("Can't split Logical Volume span between two Volume Groups");
    expect(ok(host, "vgsplit vg0 vg1 c")).toBe('  New volume group "vg1" successfully split from "vg0"\n');
    expect(
      ok(host, "lvs --noheadings -o vg_name,lv_name --separator /")
        .split("\n")
        .map((l) => l.trim()),
    ).toEqual(["vg0/onA", "vg0/span", "vg1/onC", ""]);
    expect(ok(host, "pvs --noheadings -o pv_name,vg_name --separator =")).toBe("  a=vg0\n  b=vg0\n  c=vg1\n");
    expect(ok(host, "vgmerge vg0 vg1")).toBe('  Volume group "vg1" successfully merged into "vg0"\n');
    expect(vgsLine(host, "vg_name,pv_count,lv_count")).toBe("vg0,3,3");
    expect(ok(host, "lvs --noheadings -o lv_name,devices vg0/onC").trim()).toBe("onC  c(0)");
  });

  it("vgreduce --removemissing drops a lost PV, refusing partial LVs without --force", () => {
    const without = rebootWithoutC();
    const scan = lvm(without, "vgs");
    expect(scan.stderr).toContain("WARNING: Couldn't find device with uuid");
    expect(ok(without, "vgs --noheadings -o vg_attr").trim()).toBe("wz-pn-");
    const refused = lvm(without, "vgreduce --removemissing vg0");
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toContain("There are still partial LVs in VG vg0.");
    expect(lvm(without, "lvcreate -an -l 1 vg0").stderr).toContain(
      "Cannot change VG vg0 while PVs are missing.",
    );
    expect(ok(without, "vgreduce --removemissing --force vg0")).toBe(
      '  Logical volume "lost" successfully removed.\n  Wrote out consistent volume group vg0.\n',
    );
    const after = lvm(without, "vgs --noheadings -o vg_attr,pv_count,lv_count");
    expect(after.stderr).toBe("");
    expect(after.stdout.trim()).toBe("wz--n-   2   1");
  });

  it("lvchange --refresh refuses only the LVs on a missing PV, as LVM2's _lv_refresh_suspend_resume does", () => {
    const without = rebootWithoutC();
    expect(lvm(without, "lvchange -ay vg0/keep").exitCode).toBe(0);
    const refused = lvm(without, "lvchange --refresh vg0/lost");
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toContain(
      "Refusing refresh of partial LV vg0/lost. Use '--activationmode partial' to override.",
    );
    expect(refused.stderr).not.toContain("Cannot change VG");
    const kept = lvm(without, "lvchange --refresh vg0/keep");
    expect(kept.exitCode, kept.stderr).toBe(0);
  });

  it("vgcfgbackup and vgcfgrestore round-trip a VG through LVM2's backup format", () => {
    const files = new Map<string, string>();
    const host = makeHost(["a", "b"], {
      files: { readText: (p) => files.get(p) ?? "", writeText: (p, t) => void files.set(p, t) },
    });
    ok(host, "vgcreate vg0 a b");
    ok(host, "lvcreate -an -i 2 -l 4 -n st vg0");
    expect(ok(host, "vgcfgbackup -f /backup/%s vg0")).toBe('  Volume group "vg0" successfully backed up.\n');
    const text = files.get("/backup/vg0")!;
    expect(text.startsWith("# Generated by LVM2 version")).toBe(true);
    expect(text).toContain('description = "vgcfgbackup -f /backup/%s vg0"');
    expect(text).toContain('device = "a"\t# Hint only');
    ok(host, "lvremove -f vg0/st");
    expect(vgsLine(host, "lv_count,vg_seqno")).toBe("0,3");
    expect(ok(host, "vgcfgrestore -f /backup/vg0 vg0")).toBe("  Restored volume group vg0.\n");
    // The restore is written above both the file's seqno (2) and the disk's (3).
    expect(vgsLine(host, "lv_count,vg_seqno")).toBe("1,4");
    expect(ok(host, "lvs --noheadings -o lv_name,seg_pe_ranges").trim()).toBe("st   a:0-1 b:0-1");
  });

  it("vgck --updatemetadata repairs an mda with a bad checksum; pvck reports it", () => {
    const host = makeHost(["a", "b"]);
    ok(host, "vgcreate vg0 a b");
    const header = new Uint8Array(MDA_HEADER_BYTES);
    const b = host.device("b")!;
    b.read(DEFAULT_MDA_START_BYTES, header);
    header[0] = (header[0]! ^ 0xff) & 0xff;
    b.write(DEFAULT_MDA_START_BYTES, header);
    const check = lvm(host, "vgck vg0");
    expect(check.stderr).toMatch(/checksum/i);
    expect(check.stderr).toMatch(/on b .*vgck --updatemetadata/i);
    const pvck = lvm(host, "pvck b");
    expect(pvck.exitCode).toBe(5);
    expect(pvck.stdout).toContain("Found label on b, sector 1, type=LVM2 001");
    expect(ok(host, "vgck --updatemetadata vg0")).toBe("");
    const clean = lvm(host, "vgck vg0");
    expect(clean.stderr).toBe("");
    expect(vgsLine(host, "vg_seqno,vg_mda_count")).toBe("2,2");
  });

  it("vgexport hides LVs from lvs and refuses changes until vgimport", () => {
    const host = makeHost(["a"]);
    ok(host, "vgcreate vg0 a");
    ok(host, "lvcreate -an -l 1 -n lv0 vg0");
    ok(host, "vgexport vg0");
    expect(ok(host, "pvs --noheadings -o pv_attr").trim()).toBe("ax-");
    expect(ok(host, "lvs")).toBe("");
    expect(lvm(host, "lvcreate -an -l 1 vg0").stderr).toBe("  Volume group vg0 is exported\n");
    ok(host, "vgimport vg0");
    expect(ok(host, "lvs --noheadings -o lv_name").trim()).toBe("lv0");
  });

  it("activation is kept in the host: lvs shows it, a reboot forgets it", () => {
    const host = makeHost(["a"]);
    ok(host, "vgcreate vg0 a");
    ok(host, "lvcreate -l 1 -n lv0 vg0");
    expect(ok(host, "lvs --noheadings -o lv_attr,lv_active").trim()).toBe("-wi-a----- active");
    expect(ok(host, "vgchange -an vg0")).toBe('  0 logical volume(s) in volume group "vg0" now active\n');
    expect(ok(host, "lvs --noheadings -o lv_attr").trim()).toBe("-wi-------");
    ok(host, "lvchange -ay vg0/lv0");
    const rebooted = makeHost([], { devices: [["a", host.device("a")!]] });
    expect(ok(rebooted, "lvs --noheadings -o lv_attr").trim()).toBe("-wi-------");
  });
});

describe("metadata text", () => {
  it("says Write[N] for later writes of the same VG within one command", () => {
    const host = makeHost(["a"]);
    ok(host, "vgcreate vg0 a");
    ok(host, "lvcreate -an -l 1 -n x vg0");
    expect(findVg(scanHost(host), "vg0")!.scanned.text).toContain(
      'description = "Write from lvcreate -an -l 1 -n x vg0."',
    );
    ok(host, "lvcreate -an -l 1 -n y vg0");
    ok(host, "lvremove -f vg0");
    const text = findVg(scanHost(host), "vg0")!.scanned.text;
    expect(text).toContain('description = "Write[2] from lvremove -f vg0."');
    expect(text).toContain("seqno = 5");
    expect(text).toContain('creation_host = "lvmlab"');
  });
});
