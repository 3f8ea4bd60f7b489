import { describe, expect, it } from "vitest";
import { consoleLines } from "../../real/console-lines.js";

describe("console lines", () => {
  it("splits output as it arrives, keeps a tail, and hands on marked lines from the mark on", () => {
    const raw: string[] = [];
    const marked: string[] = [];
    const reader = consoleLines({ onRaw: (l) => raw.push(l), onMarked: (l) => marked.push(l) });
    reader.push("[ 1.0] kernel says\r\n\x1b[2J@@LVMLAB BOO");
    reader.push("TED 6.1\n@@LVMLAB CMD setup.0 pvcreate");
    expect(marked).toEqual(["@@LVMLAB BOOTED 6.1"]);
    reader.end();
    expect(marked).toEqual(["@@LVMLAB BOOTED 6.1", "@@LVMLAB CMD setup.0 pvcreate"]);
    expect(raw[0]).toBe("[ 1.0] kernel says");
    for (let i = 0; i < 50; i++) reader.push(`line ${i}\n`);
    expect(reader.tail).toHaveLength(40);
    expect(reader.tail.at(-1)).toBe("line 49");
  });
});
