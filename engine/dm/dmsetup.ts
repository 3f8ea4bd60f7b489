/** `dmsetup table` / `dmsetup status` output for a set of mapped devices, as the real tool prints it. */

import type { MappedDevice } from "./target.js";

/** Options of {@link formatDmsetup}. */
export interface DmsetupFormatOptions {
  /** Which report: the loaded tables or the targets' status. */
  readonly report: "table" | "status";
}

/** Every line of every device, prefixed `<name>: ` and ordered by device name, like `dmsetup table`. */
export function formatDmsetup(devices: readonly MappedDevice[], options: DmsetupFormatOptions): string {
  const sorted = [...devices].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines: string[] = [];
  for (const device of sorted) {
    const text = options.report === "table" ? device.table() : device.status();
    for (const line of text.split("\n")) lines.push(`${device.name}: ${line}`);
  }
  return lines.join("\n");
}
