import { describe, expect, it } from "vitest";
import {
  diffRuns,
  dustDifferences,
  messageLines,
  normalizeRealText,
  type RealObserved,
  verifiedKib,
} from "../../real/diff.js";
import type { ModelResult } from "../../real/model-run.js";
import { parseTranscript } from "../../real/transcript.js";
import { defineScenario } from "../../scenarios/define.js";
import type { CaseRecord } from "../../scenarios/records.js";

const scenario = defineScenario({
  name: "t-diff",
  description: "test",
  pvs: [
    { name: "pv0", size: "64MiB" },
    { name: "pv1", size: "64MiB" },
  ],
  setup: ["pvcreate pv0 pv1"],
  phases: [{ lvm: "vgcreate vg0 pv0 pv1" }],
  recovery: ["vgchange -ay vg0"],
});

const record = { status: "pass", failures: [], verdict: "ok" } as unknown as CaseRecord;

function model(lvAttr: string, recoveryLines: string[]): ModelResult {
  return {
    record,
    faultFacts: new Map(),
    steps: new Map([
      [
        "setup.0",
        {
          label: "setup.0",
          command: "pvcreate pv0 pv1",
          output: ['  Physical volume "pv0" successfully created.'],
        },
      ],
      ["recovery.0", { label: "recovery.0", command: "vgchange -ay vg0", output: recoveryLines }],
    ]),
    lvs: [
      {
        vg_name: "vg0",
        lv_name: "lv0",
        lv_attr: lvAttr,
        lv_size: "16.00m",
        segtype: "linear",
        devices: "pv0(0)",
      },
    ],
    pvs: [{ pv_name: "pv0", vg_name: "vg0", pv_size: "60.00m", pv_free: "44.00m", pv_used: "16.00m" }],
  };
}

function real(): RealObserved {
  const transcript = parseTranscript([
    "@@LVMLAB CMD setup.0 pvcreate /dev/mapper/pv0 /dev/mapper/pv1",
    '@@LVMLAB OUT setup.0   Physical volume "/dev/mapper/pv0" successfully created.',
    "@@LVMLAB EXIT setup.0 0",
    "@@LVMLAB CMD recovery.0 vgchange -ay vg0",
    "@@LVMLAB OUT recovery.0   WARNING: Couldn't find device with uuid I03gHx-584L-Z17n-aRWP-vUvg-RPle-dLkeZf.",
    "@@LVMLAB OUT recovery.0   WARNING: Couldn't find device with uuid I03gHx-584L-Z17n-aRWP-vUvg-RPle-dLkeZf.",
    "@@LVMLAB OUT recovery.0   vg0/pvmove0: Moved: 40.00%",
    "@@LVMLAB EXIT recovery.0 0",
  ]);
  return {
    steps: transcript.steps,
    lvs: [
      {
        vg_name: "vg0",
        lv_name: "lv0",
        lv_attr: "-wi-a-----",
        lv_size: "16.00m",
        segtype: "linear",
        devices: "/dev/mapper/pv0(0)",
      },
    ],
    pvs: [
      { pv_name: "/dev/mapper/pv0", vg_name: "vg0", pv_size: "60.00m", pv_free: "44.00m", pv_used: "16.00m" },
    ],
    sums: new Map(),
    transcript,
  };
}

describe("real vs model diff", () => {
  it("writes guest device paths as PV names", () => {
    expect(normalizeRealText("/dev/mapper/pv0(0),/dev/mapper/pv10(3)", ["pv0", "pv10"])).toBe(
      "pv0(0),pv10(3)",
    );
  });

  it("finds nothing when only uuids, repetition, progress lines and fault notices differ", () => {
    const m = model("-wi-a-----", [
      "  WARNING: ENXIO on pv1 at byte 0 (+2048): the PV is missing (fault pv-loss#0)",
      "  WARNING: Couldn't find device with uuid 7F2b6S-TCX2-C1Ws-oJSY-7dQM-xxv9-LZIvY5.",
    ]);
    expect(diffRuns(scenario, m, real())).toEqual([]);
  });

  it("reports an attribute and a message that differ, with both sides", () => {
    const m = model("-wi-------", ["  Logical volume vg0/m converted."]);
    const differences = diffRuns(scenario, m, real());
    expect(differences).toContainEqual({
      aspect: "layout",
      subject: "vg0/lv0 lv_attr",
      model: "-wi-------",
      real: "-wi-a-----",
    });
    expect(differences).toContainEqual({
      aspect: "message",
      subject: 'recovery.0 "vgchange -ay vg0"',
      model: "  Logical volume vg0/m converted.",
      real: "  WARNING: Couldn't find device with uuid <uuid>.",
    });
  });

  it("reports a real run that verified nothing while the model verified blocks", () => {
    const m = {
      ...model("-wi-a-----", []),
      record: { ...record, verify: { ok: 129 } } as unknown as CaseRecord,
    };
    const verifying = (kib: number): RealObserved => {
      const observed = real();
      const steps = new Map(observed.steps);
      steps.set("verify.vg0/lv0", {
        label: "verify.vg0/lv0",
        command: "fio",
        output: [`3;fio-3.33;w;0;0;${kib};700`],
      });
      return { ...observed, steps };
    };
    expect(verifiedKib(verifying(28))).toBe(28);
    const data = (observed: RealObserved) =>
      diffRuns(scenario, m, observed).filter((d) => d.aspect === "data");
    expect(data(verifying(28))).toEqual([]);
    expect(data(verifying(0))).toEqual([
      {
        aspect: "data",
        subject: "acknowledged data checked",
        model: "129 blocks verified",
        real: "nothing verified (no fio --verify_only read a block)",
      },
    ]);
  });

  it("reports workloads that hit an I/O error on one side only, not in which phase", () => {
    const phase = (index: number, errno: number, extra: string[] = []) => ({
      label: `phase.${index}`,
      command: "fio --minimal",
      output: [...extra, `3;fio-3.33;rewrite;0;${errno};1024;3335`],
    });
    const observed = (errnos: readonly number[]): RealObserved => {
      const base = real();
      const steps = new Map(base.steps);
      errnos.forEach((errno, index) => {
        steps.set(
          `phase.${index}`,
          phase(
            index,
            errno,
            errno === 0
              ? []
              : [
                  "fio: io_u error on file /dev/mapper/vg0-lv0: Input/output error: write offset=110592, buflen=4096",
                ],
          ),
        );
      });
      // A phase a power cut killed prints no terse line: nothing to compare there.
      steps.set("phase.9", { label: "phase.9", command: "fio --minimal", output: [] });
      return { ...base, steps };
    };
    const modelWith = (errors: readonly (readonly string[])[]) => ({
      ...model("-wi-a-----", []),
      workloadErrors: new Map<number, readonly string[]>([...errors.entries(), [9, ["EIO"]]]),
    });
    const data = (m: ModelResult, r: RealObserved) =>
      diffRuns(scenario, m, r).filter((d) => d.aspect === "data");
    expect(data(modelWith([[], []]), observed([0, 5]))).toEqual([
      {
        aspect: "data",
        subject: "workload I/O errors",
        model: "none",
        real: "phase.1 errno 5 (fio: io_u error on file /dev/mapper/vg0-lv0: Input/output error: write offset=110592, buflen=4096)",
      },
    ]);
    expect(data(modelWith([["ENXIO"], []]), observed([0, 0]))).toEqual([
      { aspect: "data", subject: "workload I/O errors", model: "phase.0 ENXIO", real: "none" },
    ]);
    // A fault the guest fired a few writes late moves the first error into the next phase: agreed.
    expect(data(modelWith([["ENXIO"], []]), observed([0, 5]))).toEqual([]);
    expect(data(modelWith([[], []]), observed([0, 0]))).toEqual([]);
  });

  it("reports a dm-dust fault the guest did not arm as the model drew it", () => {
    const fault = (badBlocks: number, trigger = "writes") => ({
      index: 0,
      device: "pv0",
      trigger: { kind: trigger },
      dust: { badBlocks },
    });
    const armed = (text: string) => parseTranscript([`@@LVMLAB DUST pv0 ${text}`]);
    const ok = "countbadblocks: 16 badblock(s) found 0 131072 dust 254:16 fail_read_on_bad_block quiet ";
    expect(dustDifferences([fault(16)], armed(ok))).toEqual([]);
    expect(dustDifferences([fault(16, "never")], parseTranscript([]))).toEqual([]);
    expect(dustDifferences([fault(16)], parseTranscript([]))).toEqual([
      {
        aspect: "fault",
        subject: "faults[0] dm-dust on pv0",
        model: "countbadblocks: 16 badblock(s) found, fail_read_on_bad_block",
        real: "not armed",
      },
    ]);
    expect(dustDifferences([fault(15)], armed(ok))).toHaveLength(1);
    expect(dustDifferences([fault(16)], armed(ok.replace("fail_read_on_bad_block", "bypass")))).toHaveLength(
      1,
    );
  });

  it("keeps each distinct line once", () => {
    const step = { label: "x", command: "x", output: ["a", "a", "b"] };
    expect(messageLines(step, [], false)).toEqual(["a", "b"]);
  });
});

describe("real report JSON", () => {
  it("keeps the report past LVM2's warnings, which the guest merges into a step's output", async () => {
    const { reportJson } = await import("../../real/run.js");
    const text = [
      "  WARNING: Couldn't find device with uuid x.",
      "  {",
      '      "report": [',
      "  WARNING: VG vg0 is missing PV x.",
      '          {"lv": []}',
      "      ]",
      "  }",
    ].join("\n");
    expect(JSON.parse(reportJson(text))).toEqual({ report: [{ lv: [] }] });
    expect(reportJson("not json")).toBe("not json");
  });
});

describe("verify failures at writes fio saw fail", () => {
  const step = (label: string, output: string[]) => ({ label, command: "fio", output, exitCode: 1 });
  const phase = step("phase.0", [
    "fio: io_u error on file /dev/mapper/vg0-thin: No space left on device: write offset=2142208, buflen=4096",
    "fio: io_u error on file /dev/mapper/vg0-thin: No space left on device: write offset=4718592, buflen=4096",
  ]);
  const bad = (offset: number) =>
    `verify: bad magic header 0, wanted acca at file /dev/mapper/vg0-thin offset ${offset}, length 4096 (requested block: offset=${offset}, length=4096)`;

  it("excuses a verify that only finds the blocks of writes fio reported failing", async () => {
    const { onlyFailedWrites } = await import("../../real/diff.js");
    const steps = new Map([["phase.0", phase]]);
    expect(onlyFailedWrites(step("verify.vg0/thin", [bad(2142208)]), steps)).toBe(true);
    // A block fio saw complete that reads back wrong is a loss.
    expect(onlyFailedWrites(step("verify.vg0/thin", [bad(2142208), bad(8192)]), steps)).toBe(false);
    expect(onlyFailedWrites(step("verify.vg0/thin", ["fio: read error at offset 0"]), steps)).toBe(false);
    expect(onlyFailedWrites(step("verify.vg0/thin", []), steps)).toBe(false);
  });
});
