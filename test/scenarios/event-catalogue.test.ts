import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../cli/program.js";
import { ScenarioError } from "../../scenarios/define.js";
import {
  isKnownTraceEvent,
  TRACE_EVENT_CATALOGUE,
  unknownTraceEventMessage,
} from "../../scenarios/event-catalogue.js";
import { loadScenarioModules, parseScenarioFile } from "../../scenarios/load.js";
import { captureOutput } from "../support/capture.js";

const base = {
  name: "typo",
  description: "A scenario with a misspelled event",
  pvs: [{ name: "pv0", size: "32MiB" }],
  setup: ["pvcreate pv0", "vgcreate vg0 pv0", "lvcreate -an -Zn -l 2 -n lv0 vg0"],
  phases: [{ lvm: "lvcreate -an -Zn -l 1 -n new vg0" }],
};

/** Runs the CLI with stderr captured. */
async function cli(argv: string[]): Promise<{ code: number; stderr: string }> {
  const { result, text } = await captureOutput(process.stderr, () => runCli(argv));
  return { code: result, stderr: text };
}

describe("the trace event catalogue", () => {
  it("lists every event once, each with a description", () => {
    const names = TRACE_EVENT_CATALOGUE.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    for (const event of TRACE_EVENT_CATALOGUE) {
      expect(event.name).toMatch(/^[a-z]+(\.[a-z-]+)+$/);
      expect(event.description.length).toBeGreaterThan(10);
    }
    for (const name of [
      "metadata.commit",
      "pvmove.checkpoint",
      "mirror.region.mark",
      "snapshot.merge.step",
    ]) {
      expect(isKnownTraceEvent(name)).toBe(true);
    }
    expect(isKnownTraceEvent("metadata.comit")).toBe(false);
  });

  it("suggests the closest known name", () => {
    expect(unknownTraceEventMessage("metadata.comit")).toContain('did you mean "metadata.commit"');
    expect(unknownTraceEventMessage("zzz")).not.toContain("did you mean");
  });

  it("refuses an unknown event in every field that names one, naming the field", () => {
    const cases: [object, string][] = [
      [
        { faults: [{ kind: "power-cut", at: { event: "metadata.comit", occurrence: 2 } }] },
        "faults[0].at.event",
      ],
      [
        {
          faults: [
            {
              kind: "pv-loss",
              device: "pv0",
              at: { write: 3 },
              window: { untilEvent: "mirror.resync.stepp" },
            },
          ],
        },
        "faults[0].window.untilEvent",
      ],
      [{ explore: { from: "metadata.wrote" } }, "explore.from"],
      [{ explore: { to: "pvmove.finnish" } }, "explore.to"],
      [{ swarm: { crash: { event: "pvmove.checkpont", occurrence: [1, 2] } } }, "swarm.crash.event"],
      [
        {
          swarm: {
            choose: {
              loss: [{ label: "a", faults: [{ kind: "power-cut", at: { event: "nope.never" } }] }],
            },
          },
        },
        "swarm.choose.loss[0].faults[0].at.event",
      ],
    ];
    for (const [extra, field] of cases) {
      const text = JSON.stringify({ ...base, ...extra });
      expect(() => parseScenarioFile(text, "typo.json")).toThrow(`${field}: Unknown trace event`);
    }
  });

  it("names the line of a YAML scenario's unknown event", () => {
    const yaml = [
      "name: typo",
      "description: A typo",
      "pvs: [{ name: pv0, size: 32MiB }]",
      "phases: [{ lvm: 'vgs' }]",
      "faults:",
      "  - kind: power-cut",
      "    at: { event: metadata.comit, occurrence: 2 }",
    ].join("\n");
    expect(() => parseScenarioFile(yaml, "typo.yaml")).toThrow(
      /typo\.yaml: line 7 column \d+: faults\[0\]\.at\.event: Unknown trace event "metadata\.comit"/,
    );
  });

  it("makes lvmlab run exit 2 on a misspelled event, naming the file and the field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-events-"));
    const file = join(dir, "typo.json");
    writeFileSync(
      file,
      JSON.stringify({
        ...base,
        faults: [{ kind: "power-cut", at: { event: "metadata.comit", occurrence: 2 } }],
      }),
    );
    const result = await cli(["run", "typo", "--file", file, "-q"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toContain('faults[0].at.event: Unknown trace event "metadata.comit"');
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("names the module of a TypeScript library scenario with an unknown event", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-events-ts-"));
    const define = new URL("../../scenarios/define.ts", import.meta.url).href;
    const path = join(dir, "typo.scenario.ts");
    writeFileSync(
      path,
      `import { defineScenario } from ${JSON.stringify(define)};\nexport default defineScenario(${JSON.stringify(
        {
          ...base,
          explore: { from: "metadata.wrote" },
        },
      )});\n`,
    );
    const error = await loadScenarioModules(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as ScenarioError).file).toBe(path);
    expect((error as Error).message).toContain('explore.from: Unknown trace event "metadata.wrote"');
  });

  it("lists the events on the command line", async () => {
    const { result, text: out } = await captureOutput(process.stdout, () => runCli(["list", "--events"]));
    expect(result).toBe(0);
    expect(out.trim().split("\n")).toHaveLength(TRACE_EVENT_CATALOGUE.length);
    expect(out).toContain("pvmove.checkpoint");
  });
});
