/**
 * LVM2 text metadata print and parse on a realistic VG (hundreds of LVs, fragmented PVs), each
 * against JSON.stringify / JSON.parse of the same data in the same run, so the ratio says how far
 * the config-language printer and parser are from the fastest serialiser the runtime has.
 */

import { do_not_optimize } from "mitata";
import { parseConfig } from "../../engine/format/config-parse.js";
import { printConfig } from "../../engine/format/config-print.js";
import { rawMetadataTree } from "../../engine/format/vg-text.js";
import { exportVg } from "../../engine/metadata/export.js";
import { findVgSection, importVg } from "../../engine/metadata/import.js";
import { nsPerOp } from "../measure.js";
import type { BenchRow, BenchSuite } from "../suite.js";
import { fragmentedVg } from "./fixtures/vg.js";

/** LVs in the fixture before every third is removed: about 400 LVs and 90 KB of metadata text. */
const FIXTURE_LVS = 600;

const suite: BenchSuite = {
  name: "metadata",
  description: "LVM2 metadata text print/parse vs JSON.stringify/parse of the same VG",
  async run(options) {
    const vg = fragmentedVg(FIXTURE_LVS);
    const tree = rawMetadataTree(exportVg(vg), {
      description: "Write from lvcreate.",
      creationHost: "bench",
      creationTimeUnix: 1_700_000_000,
    });
    const text = printConfig(tree);
    const json = JSON.stringify(tree);
    // Check the round trip once so the benchmark never times a parser that drops data.
    const reparsed = importVg(findVgSection(parseConfig(text)));
    if (reparsed.lvs.length !== vg.lvs.length) {
      throw new Error(
        `Metadata bench fixture does not round-trip: ${vg.lvs.length} LVs printed, ${reparsed.lvs.length} parsed back`,
      );
    }
    const rows: BenchRow[] = [];
    const pair = async (group: string, baseline: [string, () => void], subject: [string, () => void]) => {
      const baseNs = await nsPerOp(baseline[1], options);
      const ns = await nsPerOp(subject[1], options);
      rows.push({ name: baseline[0], group, nsPerOp: baseNs, bytesPerOp: json.length });
      rows.push({
        name: subject[0],
        group,
        nsPerOp: ns,
        bytesPerOp: text.length,
        baseline: baseline[0],
        ratioToBaseline: baseNs / ns,
      });
    };
    const label = `${vg.lvs.length} LVs, ${(text.length / 1000).toFixed(0)} KB`;
    await pair(
      `print ${label}`,
      ["JSON.stringify", () => do_not_optimize(JSON.stringify(tree))],
      ["printConfig (raw)", () => do_not_optimize(printConfig(tree))],
    );
    await pair(
      `parse ${label}`,
      ["JSON.parse", () => do_not_optimize(JSON.parse(json))],
      ["parseConfig", () => do_not_optimize(parseConfig(text))],
    );
    return rows;
  },
};

export default suite;
