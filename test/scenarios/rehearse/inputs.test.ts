import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkRequest, type RehearseRequest } from "../../../scenarios/rehearse/inputs.js";

const BACKUP = {
  file: "vg_data.vg",
  text: readFileSync(new URL("../../../scenarios/rehearse/plans/vg_data.vg", import.meta.url), "utf8"),
};
const PLAN = { file: "p.plan", text: "vgextend vg_data /dev/sdc1\npvmove /dev/sdb1 /dev/sdc1\n" };
const request = (patch: Partial<RehearseRequest>): RehearseRequest => ({
  backup: BACKUP,
  plan: PLAN,
  profiles: [],
  newDisks: ["/dev/sdc1=64MiB"],
  seed: 1,
  ...patch,
});

describe("checkRequest", () => {
  it("gives every PV a profile (a default, overridden per device) and declares new disks blank", () => {
    const { input, latePv, workloadName } = checkRequest(
      request({
        profiles: ["hdd", "/dev/sdd1=custom:bw=200MiB,lat=100us"],
        newDisks: ["/dev/sdc1=128MiB:nvme"],
      }),
    );
    expect(input.disks).toEqual([
      { device: "/dev/sdb1", sizeBytes: 64 * 1024 ** 2, profile: "hdd", isNew: false },
      { device: "/dev/sdd1", sizeBytes: 64 * 1024 ** 2, profile: "custom:bw=200MiB,lat=100us", isNew: false },
      { device: "/dev/sdc1", sizeBytes: 128 * 1024 ** 2, profile: "nvme", isNew: true },
    ]);
    expect(latePv).toBe("/dev/sdc1");
    expect(workloadName).toBe("default");
    expect(input.jobs.map((j) => j.name)).toEqual(["randwrite-4k"]);
    expect(checkRequest(request({ late: "none" })).latePv).toBeUndefined();
  });

  it("names the option or file of every bad input", () => {
    expect(() => checkRequest(request({ profiles: ["/dev/sdq1=hdd"] }))).toThrow(
      /^--profile \/dev\/sdq1=hdd: \/dev\/sdq1 is not a PV of vg_data\.vg/,
    );
    expect(() => checkRequest(request({ profiles: ["floppy"] }))).toThrow(
      /^--profile floppy: Unknown device profile "floppy"/,
    );
    expect(() => checkRequest(request({ newDisks: ["/dev/sdc1"] }))).toThrow(
      /^--new-disk \/dev\/sdc1: expected DEVICE=SIZE/,
    );
    expect(() => checkRequest(request({ newDisks: ["/dev/sdb1=64MiB"] }))).toThrow(
      "--new-disk /dev/sdb1=64MiB: /dev/sdb1 is already a disk of the rehearsal",
    );
    expect(() => checkRequest(request({ newDisks: ["/dev/sdc1=1MiB"] }))).toThrow(
      /size must be between 4MiB/,
    );
    expect(() => checkRequest(request({ late: "/dev/sdz" }))).toThrow(
      /^--late \/dev\/sdz: not a disk of the rehearsal/,
    );
    expect(() => checkRequest(request({ workload: { file: "w.fio", text: "[j]\nrw=sideways\n" } }))).toThrow(
      /w\.fio:2/,
    );
    expect(() => checkRequest(request({ newDisks: [] }))).toThrow(/^p\.plan:1: unknown device \/dev\/sdc1/);
    expect(() => checkRequest(request({ backup: undefined }))).toThrow(/^Give the VG with --backup FILE/);
  });
});
