/** The pvmove command end to end on memory devices: messages, progress lines, metadata before and after. */
import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../../engine/block/memory.js";
import { dmsetupTable } from "../../../../engine/lvm/activation/activate.js";
import { Host } from "../../../../engine/lvm/host.js";
import { configurePvmove } from "../../../../engine/lvm/pvmove/kernel.js";
import { runLvm } from "../../../../engine/lvm/run.js";
import { findVg, scanHost } from "../../../../engine/lvm/vg-read.js";

const MiB = 1024 * 1024;

function machine(devices?: MemoryDevice[]): Host {
  const host = new Host({
    devices: (devices ?? ["pv0", "pv1", "pv2"].map((n) => new MemoryDevice(n, 64 * MiB))).map(
      (d) => [d.name, d] as const,
    ),
    seed: "pvmove-command",
  });
  configurePvmove(host, { syncSpeedBytesPerSecond: 8 * MiB, pollingIntervalSeconds: 1 });
  return host;
}

function ok(host: Host, line: string) {
  const result = runLvm(host, line.split(" "));
  expect(result.exitCode, `${line}\n${result.stderr}`).toBe(0);
  return result;
}

function vgOf(host: Host) {
  return findVg(scanHost(host), "vg0")!.vg;
}

describe("pvmove command", () => {
  it("moves a linear LV in the foreground, printing progress, and leaves pv0 empty", () => {
    const host = machine();
    ok(host, "pvcreate pv0 pv1 pv2");
    ok(host, "vgcreate -s 1M vg0 pv0 pv1 pv2");
    // LVM2 warns about -Zn when the dm driver is there (seen in the QEMU guest).
    expect(ok(host, "lvcreate -an -Zn -l 4 -n lv0 vg0 pv0").stderr).toBe(
      "  WARNING: Logical volume vg0/lv0 not zeroed.\n",
    );
    const result = ok(host, "pvmove -i 1 pv0 pv1");
    expect(result.stdout).toMatch(/^ {2}pv0: Moved: 0\.00%$/m);
    expect(result.stdout).toMatch(/^ {2}pv0: Moved: 100\.00%$/m);
    const vg = vgOf(host);
    expect(vg.lvs.map((lv) => lv.name)).toEqual(["lv0"]);
    const lv0 = vg.lvs[0]!;
    expect(lv0.status).not.toContain("LOCKED");
    expect(
      lv0.segments.every(
        (s) => s.type === "striped" && s.areas.every((a) => a.kind === "pv" && a.pv === "pv1"),
      ),
    ).toBe(true);
  });
});

/** Steps the scheduler until the trace has emitted `name` `count` times. */
function runUntilEvent(host: Host, name: string, count = 1): void {
  for (let guard = 0; host.trace.count(name) < count; guard++) {
    if (guard > 1_000_000 || !host.scheduler.step()) throw new Error(`${name} #${count} never came`);
  }
}

function placement(host: Host, lvName: string): string[] {
  const lv = vgOf(host).lvs.find((l) => l.name === lvName)!;
  return lv.segments.map((s) =>
    s.type === "striped"
      ? s.areas.map((a) => (a.kind === "pv" ? `${a.pv}:${a.pe}` : `${a.lv}:${a.le}`)).join(",")
      : s.type,
  );
}

/** lv0: three 2-extent segments on pv0 at PE 0, 3 and 6 (gaps between them). */
function threeSegments(host: Host): void {
  ok(host, "pvcreate pv0 pv1 pv2");
  ok(host, "vgcreate -s 1M vg0 pv0 pv1 pv2");
  ok(host, "lvcreate -an -Zn -l 6 -n lv0 vg0 pv0:0-1 pv0:3-4 pv0:6-7");
}

describe("pvmove command messages", () => {
  it("says there is no data to move from an empty PV", () => {
    const host = machine();
    threeSegments(host);
    const result = runLvm(host, ["pvmove", "pv2"]);
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toContain("No data to move for vg0.");
  });

  it("resumes instead of starting a second move from the same source, ignoring extra arguments", () => {
    const host = machine();
    threeSegments(host);
    ok(host, "pvmove -b pv0 pv1");
    const again = ok(host, "pvmove -b -n lv0 pv0 pv2");
    expect(again.stdout).toContain("  Detected pvmove in progress for pv0.");
    expect(again.stderr).toContain("  WARNING: Ignoring remaining command line arguments.");
    expect(
      vgOf(host)
        .lvs.filter((lv) => lv.status.includes("PVMOVE"))
        .map((lv) => lv.name),
    ).toEqual(["pvmove0"]);
  });

  it("skips LVs another move has locked", () => {
    const host = machine();
    ok(host, "pvcreate pv0 pv1 pv2");
    ok(host, "vgcreate -s 1M vg0 pv0 pv1 pv2");
    ok(host, "lvcreate -an -Zn -l 4 -n lv0 vg0 pv0:0-1 pv2:0-1");
    ok(host, "pvmove -b pv0 pv1");
    const result = runLvm(host, ["pvmove", "pv2", "pv1"]);
    expect(result.stdout).toContain("  Skipping locked LV vg0/lv0.");
    expect(result.stderr).toContain("All data on source PV skipped.");
    expect(result.exitCode).toBe(5);
  });

  it("without device-mapper (--driverloaded n) commits the setup and stops polling, as real LVM2 does", () => {
    const host = machine();
    threeSegments(host);
    const result = runLvm(host, ["pvmove", "--driverloaded", "n", "pv0"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe("  pv0: Interrupted: No longer active.\n");
    const lvs = runLvm(host, ["lvs", "-a", "--driverloaded", "n", "-o", "lv_name", "--noheadings", "vg0"]);
    expect(lvs.stdout).toContain("[pvmove0]");
    const bare = runLvm(host, ["pvmove", "--driverloaded", "n"]);
    expect(bare.exitCode).toBe(0);
    expect(bare.stdout).toBe("  pv0: Skipping inactive LV. Try lvchange or vgchange.\n");
  });
});

describe("pvmove runs", () => {
  it("checkpoints one segment at a time: lvs shows [pvmove0], Move and copy_percent of the committed part", () => {
    const host = machine();
    threeSegments(host);
    ok(host, "pvmove -b pv0 pv1");
    runUntilEvent(host, "pvmove.checkpoint");
    const lvs = ok(host, "lvs -a --noheadings -o lv_name,lv_attr,move_pv,copy_percent vg0");
    const rows = lvs.stdout
      .trim()
      .split("\n")
      .map((l) => l.trim().split(/\s+/));
    const pvmove = rows.find((r) => r[0] === "[pvmove0]")!;
    expect(pvmove[1]).toMatch(/^p-C-a/);
    expect(pvmove[2]).toBe("pv0");
    // Segment 1 of 3 recorded, the running one just reloaded (0 regions in sync): 2 of 6 extents.
    expect(pvmove[3]).toBe("33.33");
    const lv0 = rows.find((r) => r[0] === "lv0")!;
    expect(lv0[1]).toMatch(/^-wI-a/);
    expect(placement(host, "pvmove0")).toEqual(["mirror", "mirror", "mirror"]);
    host.scheduler.run();
    expect(placement(host, "lv0")).toEqual(["pv1:0"]);
    expect(vgOf(host).lvs.map((lv) => lv.name)).toEqual(["lv0"]);
  });

  it("aborts keeping checkpointed segments on the destination and the rest on the source", () => {
    const host = machine();
    threeSegments(host);
    ok(host, "pvmove -b pv0 pv1");
    runUntilEvent(host, "pvmove.checkpoint");
    const abort = ok(host, "pvmove --abort pv0");
    expect(abort.stdout).not.toContain("Moved");
    expect(host.trace.count("pvmove.abort")).toBe(1);
    expect(placement(host, "lv0")).toEqual(["pv1:0", "pv0:3", "pv0:6"]);
    const lv0 = vgOf(host).lvs.find((l) => l.name === "lv0")!;
    expect(lv0.status).not.toContain("LOCKED");
    expect(vgOf(host).lvs.map((lv) => lv.name)).toEqual(["lv0"]);
  });

  it("aborts an --atomic move leaving everything on the source", () => {
    const host = machine();
    threeSegments(host);
    ok(host, "pvmove -b --atomic pv0 pv1");
    runUntilEvent(host, "mirror.resync.step", 3);
    ok(host, "pvmove --abort");
    expect(placement(host, "lv0")).toEqual(["pv0:0", "pv0:3", "pv0:6"]);
    expect(vgOf(host).lvs.map((lv) => lv.name)).toEqual(["lv0"]);
  });

  it("runs moves from two source PVs at once", () => {
    const host = machine();
    ok(host, "pvcreate pv0 pv1 pv2");
    ok(host, "vgcreate -s 1M vg0 pv0 pv1 pv2");
    ok(host, "lvcreate -an -Zn -l 4 -n a vg0 pv0");
    ok(host, "lvcreate -an -Zn -l 4 -n b vg0 pv1");
    ok(host, "pvmove -b pv0 pv2");
    ok(host, "pvmove -b pv1 pv2");
    expect(
      vgOf(host)
        .lvs.filter((lv) => lv.status.includes("PVMOVE"))
        .map((lv) => lv.name),
    ).toEqual(["pvmove0", "pvmove1"]);
    host.scheduler.run();
    expect(host.trace.count("pvmove.finish")).toBe(2);
    expect(placement(host, "a")).toEqual(["pv2:0"]);
    expect(placement(host, "b")).toEqual(["pv2:4"]);
  });

  it("after a reboot skips the inactive move, and resumes it once the VG is active", () => {
    const media = ["pv0", "pv1", "pv2"].map((n) => new MemoryDevice(n, 64 * MiB));
    const host = machine(media);
    threeSegments(host);
    ok(host, "pvmove -b pv0 pv1");
    runUntilEvent(host, "pvmove.checkpoint");
    const rebooted = machine(media);
    const skipped = ok(rebooted, "pvmove");
    expect(skipped.stdout).toBe("  pv0: Skipping inactive LV. Try lvchange or vgchange.\n");
    ok(rebooted, "vgchange -ay --poll n vg0");
    expect(rebooted.scheduler.pending).toBeGreaterThan(0);
    const resumed = ok(rebooted, "pvmove -i 1");
    // The first segment stays where its checkpoint put it; the copy resumes with segment 2.
    expect(resumed.stdout.split("\n")[0]).toBe("  pv0: Moved: 33.33%");
    expect(resumed.stdout).toContain("  pv0: Moved: 100.00%");
    expect(placement(rebooted, "lv0")).toEqual(["pv1:0"]);
  });

  it("resumes in the background when lvchange -ay activates a moved LV", () => {
    const media = ["pv0", "pv1", "pv2"].map((n) => new MemoryDevice(n, 64 * MiB));
    const host = machine(media);
    threeSegments(host);
    ok(host, "pvmove -b pv0 pv1");
    runUntilEvent(host, "pvmove.checkpoint");
    const rebooted = machine(media);
    ok(rebooted, "lvchange -ay vg0/lv0");
    rebooted.scheduler.run();
    expect(rebooted.trace.count("pvmove.finish")).toBe(1);
    expect(placement(rebooted, "lv0")).toEqual(["pv1:0"]);
  });
});

describe("pvmove selections", () => {
  it("moves only the given PE range of the source", () => {
    const host = machine();
    threeSegments(host);
    ok(host, "pvmove -i 0 pv0:3-4 pv1");
    expect(placement(host, "lv0")).toEqual(["pv0:0", "pv1:0", "pv0:6"]);
  });

  it("moves only the LV named with -n", () => {
    const host = machine();
    ok(host, "pvcreate pv0 pv1 pv2");
    ok(host, "vgcreate -s 1M vg0 pv0 pv1 pv2");
    ok(host, "lvcreate -an -Zn -l 2 -n lv0 vg0 pv0");
    ok(host, "lvcreate -an -Zn -l 2 -n other vg0 pv0");
    ok(host, "pvmove -i 0 -n lv0 pv0 pv2");
    expect(placement(host, "lv0")).toEqual(["pv2:0"]);
    expect(placement(host, "other")).toEqual(["pv0:2"]);
  });

  it("moves everything as one unit with --atomic, then finishes on the destination", () => {
    const host = machine();
    threeSegments(host);
    const result = ok(host, "pvmove -i 1 --atomic pv0 pv1");
    expect(result.stdout).toContain("  pv0: Moved: 100.00%");
    expect(host.trace.count("pvmove.checkpoint")).toBe(0);
    expect(placement(host, "lv0")).toEqual(["pv1:0"]);
    expect(vgOf(host).lvs.map((lv) => lv.name)).toEqual(["lv0"]);
  });

  it("honours --alloc anywhere by allowing the source PV itself as destination", () => {
    const host = machine();
    ok(host, "pvcreate pv0 pv1");
    ok(host, "vgcreate -s 1M vg0 pv0 pv1");
    ok(host, "lvcreate -an -Zn -l 2 -n lv0 vg0 pv0");
    ok(host, "pvmove -i 0 --alloc anywhere pv0:0-1 pv0");
    expect(placement(host, "lv0")).toEqual(["pv0:2"]);
  });
});

describe("lvcreate -Zn", () => {
  it("warns that an LV it did not zero was not zeroed, with or without the dm driver, as real LVM2 does", () => {
    const host = machine();
    ok(host, "pvcreate pv0 pv1 pv2");
    ok(host, "vgcreate vg0 pv0 pv1 pv2");
    // Real LVM2 2.03.16 (--driverloaded n, loop devices) printed this for -an -Zn -Wy and -an -Zn.
    expect(ok(host, "lvcreate -an -Zn -Wy -l 1 -n wiped vg0").stderr).toBe(
      "  WARNING: Logical volume vg0/wiped not zeroed.\n",
    );
    expect(ok(host, "lvcreate -an -Zn -l 1 -n nodriver vg0 --driverloaded n").stderr).toBe(
      "  WARNING: Logical volume vg0/nodriver not zeroed.\n",
    );
  });
});

/** A three-segment move stopped by `vgchange -an` after its first checkpoint. */
function deactivatedMove(): Host {
  const host = machine();
  threeSegments(host);
  ok(host, "pvmove -b pv0 pv1");
  runUntilEvent(host, "pvmove.checkpoint");
  ok(host, "vgchange -an vg0");
  return host;
}

describe("pvmove and deactivation", () => {
  it("stops with the VG on vgchange -an and finishes after vgchange -ay", () => {
    const host = deactivatedMove();
    host.scheduler.run();
    expect(host.trace.count("pvmove.finish")).toBe(0);
    expect(vgOf(host).lvs.some((lv) => lv.name === "pvmove0")).toBe(true);
    const foreground = ok(host, "pvmove -i 1");
    expect(foreground.stdout).toBe("  pv0: Skipping inactive LV. Try lvchange or vgchange.\n");
    const activated = ok(host, "vgchange -ay vg0");
    // As real LVM2 2.03.16 printed it in the QEMU guest (lvmlab real run pvmove-cut-resume).
    expect(activated.stdout).toMatch(
      /now active\n {2}Background polling started for 1 logical volume\(s\) in volume group "vg0"\n$/,
    );
    host.scheduler.run();
    expect(host.trace.count("pvmove.finish")).toBe(1);
    expect(placement(host, "lv0")).toEqual(["pv1:0"]);
  });

  it("says nothing about polling with --poll n", () => {
    const host = deactivatedMove();
    expect(ok(host, "vgchange -ay --poll n vg0").stdout).not.toMatch(/Background polling/);
  });
});

describe("pvmove --abort after a reboot", () => {
  it("does nothing until the VG is active, as LVM2's poller needs a live LV", () => {
    const media = ["pv0", "pv1", "pv2"].map((n) => new MemoryDevice(n, 64 * MiB));
    const host = machine(media);
    threeSegments(host);
    ok(host, "pvmove -b pv0 pv1");
    runUntilEvent(host, "pvmove.checkpoint");
    const rebooted = machine(media);
    expect(ok(rebooted, "pvmove --abort pv0").stdout).toBe("  pv0: Interrupted: No longer active.\n");
    expect(ok(rebooted, "pvmove --abort").stdout).toBe(
      "  pv0: Skipping inactive LV. Try lvchange or vgchange.\n",
    );
    expect(vgOf(rebooted).lvs.some((lv) => lv.name === "pvmove0")).toBe(true);
    ok(rebooted, "vgchange -ay --poll n vg0");
    ok(rebooted, "pvmove --abort pv0");
    expect(placement(rebooted, "lv0")).toEqual(["pv1:0", "pv0:3", "pv0:6"]);
    expect(ok(rebooted, "pvmove --abort pv0").stdout).toBe(
      "  pv0: No pvmove in progress - already finished or aborted.\n",
    );
  });
});

describe("pvmove of stacked LVs", () => {
  it("moves the mirror image on the source, leaving the other leg and the log where they are", () => {
    const host = machine(["pv0", "pv1", "pv2", "pv3"].map((n) => new MemoryDevice(n, 64 * MiB)));
    ok(host, "pvcreate pv0 pv1 pv2 pv3");
    ok(host, "vgcreate -s 1M vg0 pv0 pv1 pv2 pv3");
    ok(host, "lvcreate -an -Zn --type mirror -m 1 -l 2 -n m vg0 pv0 pv1 pv2");
    ok(host, "pvmove -i 0 pv0 pv3");
    expect(placement(host, "m_mimage_0")).toEqual(["pv3:0"]);
    expect(placement(host, "m_mimage_1")).toEqual(["pv1:0"]);
    expect(placement(host, "m_mlog")).toEqual(["pv2:0"]);
    expect(vgOf(host).lvs.map((lv) => lv.name)).toEqual(["m", "m_mimage_0", "m_mimage_1", "m_mlog"]);
  });
});

describe("pvmove alongside other commands", () => {
  it("re-reads the VG every pass, so an LV created mid-move survives the checkpoints and the finish", () => {
    const host = machine();
    threeSegments(host);
    ok(host, "pvmove -b pv0 pv1");
    runUntilEvent(host, "pvmove.checkpoint");
    ok(host, "lvcreate -an -Zn -l 2 -n late vg0 pv2");
    host.scheduler.run();
    expect(host.trace.count("pvmove.finish")).toBe(1);
    expect(vgOf(host).lvs.map((lv) => lv.name)).toEqual(["lv0", "late"]);
    expect(placement(host, "late")).toEqual(["pv2:0"]);
    expect(placement(host, "lv0")).toEqual(["pv1:0"]);
  });
});

describe("pvmove tables", () => {
  it("after a checkpoint maps the done segment to the destination, mirrors the next, leaves the rest on the source", () => {
    const host = machine();
    threeSegments(host);
    ok(host, "pvmove -b pv0 pv1");
    const before = dmsetupTable(host)
      .split("\n")
      .filter((l) => l.startsWith("vg0-pvmove0:"));
    expect(before.map((l) => l.split(" ")[3])).toEqual(["mirror", "linear", "linear"]);
    // The pass that emits the checkpoint also reloads the table before it returns.
    runUntilEvent(host, "pvmove.checkpoint");
    const after = dmsetupTable(host)
      .split("\n")
      .filter((l) => l.startsWith("vg0-pvmove0:"));
    expect(after.map((l) => l.split(" ")[3])).toEqual(["linear", "mirror", "linear"]);
    expect(after[0]).toMatch(/ linear pv1 /);
    expect(after[1]).toMatch(/ mirror core 1 \d+ 2 pv0 \d+ pv1 \d+$/);
    expect(after[2]).toMatch(/ linear pv0 /);
  });
});
