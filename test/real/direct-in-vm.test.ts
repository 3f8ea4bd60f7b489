import { describe, expect, it } from "vitest";
import { type DirectInVmCase, directInVmScript, parseDirectInVm } from "../../real/direct-in-vm.js";
import { MARK } from "../../real/guest-init.js";

const cases: DirectInVmCase[] = [
  { scenario: "linear-power-cut-subset", seed: 1, scratch: "ext4" },
  { scenario: "mirror-leg-loss-remove", seed: 1 },
];

describe("lvmlab real run --direct inside the guest", () => {
  it("mounts the Node image and the scratch filesystems and runs the real CLI for each case", () => {
    const script = directInVmScript(cases, { loader: "ld-linux-x86-64.so.2", timeoutS: 120 });
    // The ext4 scratch disk is vdb, so the image moves to vdc.
    expect(script).toContain("mount -t ext4 -o ro /dev/vdc /opt/lvmlab");
    expect(script).toContain("mount -t ext4 /dev/vdb /scratch-ext4");
    expect(script).toContain("mount -t tmpfs");
    expect(script).toContain(
      "TMPDIR=/scratch-ext4 /opt/lvmlab/lib/ld-linux-x86-64.so.2 --library-path /opt/lvmlab/lib /opt/lvmlab/bin/node /opt/lvmlab/app/dist/cli/main.js real run --direct linear-power-cut-subset --seed 1 --timeout 120 --ndjson /scratch/run0.ndjson",
    );
    expect(script).toContain("TMPDIR=/scratch /opt/lvmlab/lib/");
    expect(script).toContain('dmsetup ls 2>&1 | while IFS= read -r l; do echo "$M DV 1 DM $l"; done');
    expect(script).toContain('losetup -a 2>&1 | while IFS= read -r l; do echo "$M DV 1 LOOP $l"; done');
    expect(directInVmScript([cases[1]!], { loader: "ld.so", timeoutS: 1 })).toContain(
      "mount -t ext4 -o ro /dev/vdb ",
    );
  });

  it("refuses names the guest's shell would read as more than a name", () => {
    expect(() =>
      directInVmScript([{ scenario: "x; reboot", seed: 1 }], { loader: "l", timeoutS: 1 }),
    ).toThrow(/Unsafe/);
    expect(() => directInVmScript([], { loader: "l", timeoutS: 1 })).toThrow(/No cases/);
  });

  it("reads each case's exit code, output, records and leftovers back from the console", () => {
    const rec = { type: "real-run", scenario: "linear-power-cut-subset", unexplained: 0 };
    const lines = [
      `${MARK} BOOTED 6.1.0`,
      `${MARK} DV NODE v20.20.2 7.06 7.77`,
      `${MARK} DV 0 START 7.79`,
      `${MARK} DV 0 OUT model: pass (216 blocks verified)`,
      `${MARK} DV 0 OUT   no differences`,
      `${MARK} DV 0 EXIT 0 62.22`,
      `${MARK} DV 0 REC ${JSON.stringify(rec)}`,
      `${MARK} DV 0 DM No devices found`,
      `${MARK} DV 0 DONE`,
      `${MARK} DV 1 START 62.33`,
      `${MARK} DV 1 OUT lvmlab: internal error`,
      `${MARK} DV 1 EXIT 1 70.5`,
      `${MARK} DV 1 DM vg0-m\t(253:3)`,
      `${MARK} DV 1 LOOP /dev/loop0: [0031]:5 (/scratch/lvmlab-real-x/pv0.img)`,
      `${MARK} DV 1 WORKDIR /scratch/lvmlab-real-x`,
      `${MARK} DV 1 DEVNODE /dev/vg0/m`,
    ];
    const [a, b] = parseDirectInVm(lines, cases);
    expect(a).toEqual({
      scenario: "linear-power-cut-subset",
      seed: 1,
      exitCode: 0,
      guestMs: 54430,
      output: ["model: pass (216 blocks verified)", "  no differences"],
      records: [rec],
      dmLeft: [],
      loopsLeft: [],
      workDirsLeft: [],
      devNodesLeft: [],
    });
    expect(b!.exitCode).toBe(1);
    expect(b!.dmLeft).toEqual(["vg0-m\t(253:3)"]);
    expect(b!.loopsLeft).toHaveLength(1);
    expect(b!.workDirsLeft).toEqual(["/scratch/lvmlab-real-x"]);
    expect(b!.devNodesLeft).toEqual(["/dev/vg0/m"]);
    // A case that never ended has no exit code.
    expect(parseDirectInVm([`${MARK} DV 0 START 1`], cases)[0]!.exitCode).toBeUndefined();
  });
});
