import { describe, expect, it } from "vitest";
import {
  ArrayFaultSink,
  buildFaultRecord,
  EFFECT_LIST_MAX,
  listForRecord,
  ndjsonFaultSink,
  parseFaultRecordLine,
  specFromRecord,
} from "../../faults/record.js";
import { parseFaultSpec } from "../../faults/schema.js";

const spec = parseFaultSpec({
  id: "loss",
  kind: "pv-loss",
  device: "pv1",
  at: { event: "pvmove.checkpoint", occurrence: 3 },
  window: { durationNs: 5000 },
});

describe("fault records", () => {
  it("carry the trigger, firing point, every parameter, seed and seed path", () => {
    const record = buildFaultRecord(spec, {
      firedAt: { tNs: 42, event: "pvmove.checkpoint", eventIndex: 9, occurrence: 3 },
      seed: "7",
      seedPath: "7/faults/loss:pv-loss",
      effect: { device: "pv1" },
    });
    expect(record).toEqual({
      type: "fault",
      kind: "pv-loss",
      id: "loss",
      at: { event: "pvmove.checkpoint", occurrence: 3 },
      window: { durationNs: 5000 },
      firedAt: { tNs: 42, event: "pvmove.checkpoint", eventIndex: 9, occurrence: 3 },
      params: { device: "pv1", returnAs: "intact" },
      seed: "7",
      seedPath: "7/faults/loss:pv-loss",
      effect: { device: "pv1" },
    });
    expect(specFromRecord(record)).toEqual(spec);
  });

  it("go out as one JSON line each and parse back", () => {
    const lines: string[] = [];
    const sink = ndjsonFaultSink({ write: (chunk: string) => lines.push(chunk) });
    const record = buildFaultRecord(spec, {
      firedAt: { tNs: 1 },
      seed: "1",
      seedPath: "1/faults/x",
      effect: {},
    });
    sink.write(record);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith("\n")).toBe(true);
    expect(parseFaultRecordLine(lines[0]!)).toEqual(record);
    const array = new ArrayFaultSink();
    array.write(record);
    array.write({
      type: "fault-cleared",
      kind: "pv-loss",
      seedPath: "1/faults/x",
      clearedAt: { tNs: 2 },
      effect: {},
    });
    expect(array.fired).toEqual([record]);
  });

  it("reject lines that cannot be replayed, saying why", () => {
    expect(() => parseFaultRecordLine("{")).toThrow(/Fault record is not JSON/);
    expect(() => parseFaultRecordLine('{"type":"case"}')).toThrow(/has type "case", expected "fault"/);
    expect(() => parseFaultRecordLine('{"type":"fault","kind":"pv-loss"}')).toThrow(/lacks seed or seedPath/);
    expect(() =>
      parseFaultRecordLine(
        '{"type":"fault","kind":"pv-loss","at":{"timeNs":1},"params":{},"seed":"1","seedPath":"1"}',
      ),
    ).toThrow(/record\.params\.device/);
  });

  it("cut long effect lists and say so", () => {
    const long = Array.from({ length: EFFECT_LIST_MAX + 5 }, (_, i) => i);
    const out = listForRecord("sectors", long);
    expect((out.sectors as number[]).length).toBe(EFFECT_LIST_MAX);
    expect(out.sectorsCount).toBe(EFFECT_LIST_MAX + 5);
    expect(out.sectorsTruncated).toBe(true);
    expect(listForRecord("s", [1, 2])).toEqual({ s: [1, 2], sCount: 2 });
  });
});
