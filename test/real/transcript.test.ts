import { describe, expect, it } from "vitest";
import { eventsOf, parseTranscript } from "../../real/transcript.js";

describe("guest transcript", () => {
  it("groups interleaved output by step label and keeps events", () => {
    const t = parseTranscript([
      "@@LVMLAB BOOTED 6.1.0",
      "@@LVMLAB CMD phase.1 pvmove -i 1 /dev/mapper/pv0",
      "@@LVMLAB CMD phase.2 fio --name=during",
      "@@LVMLAB OUT phase.1   vg0/pvmove0: Moved: 40.00%",
      "@@LVMLAB OUT phase.2 3;fio-3.33;during",
      "@@LVMLAB EXIT phase.2 0",
      "@@LVMLAB CUT writes=151 lvwrites=90",
    ]);
    expect(t.steps.get("phase.1")).toEqual({
      label: "phase.1",
      command: "pvmove -i 1 /dev/mapper/pv0",
      output: ["  vg0/pvmove0: Moved: 40.00%"],
    });
    expect(t.steps.get("phase.2")?.exitCode).toBe(0);
    expect(eventsOf(t, "CUT")).toEqual([{ kind: "CUT", text: "writes=151 lvwrites=90" }]);
  });

  it("adds a later boot's lines to the same transcript", () => {
    const t = parseTranscript(["@@LVMLAB CMD setup.0 pvcreate a", "@@LVMLAB EXIT setup.0 0"]);
    parseTranscript(["@@LVMLAB CMD recovery.0 vgchange -ay vg0", "@@LVMLAB EXIT recovery.0 5"], t);
    expect([...t.steps.keys()]).toEqual(["setup.0", "recovery.0"]);
    expect(t.steps.get("recovery.0")?.exitCode).toBe(5);
  });
});
