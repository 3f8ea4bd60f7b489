import { describe, expect, it } from "vitest";
import { explainDifference } from "../../real/known-differences.js";

describe("known differences", () => {
  it("explains the race of two real pvmove pollers, and only that", () => {
    const race = {
      aspect: "message" as const,
      subject: 'recovery.1 "pvmove pv0 pv1"',
      model: "",
      real: "  pv0: No pvmove in progress - already finished or aborted.",
    };
    expect(explainDifference(race)).toMatch(/^pvmove-poller-race: /);
    expect(explainDifference({ ...race, model: "  Logical volume vg0/lv0 converted." })).toBeUndefined();
    expect(explainDifference({ ...race, subject: 'setup.0 "pvmove pv0 pv1"' })).toBeUndefined();
    expect(explainDifference({ ...race, aspect: "layout" })).toBeUndefined();
  });
});
