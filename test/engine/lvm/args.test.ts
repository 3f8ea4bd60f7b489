import { describe, expect, it } from "vitest";
import { CommandLineError, hasOption, optionValue, parseArgs } from "../../../engine/lvm/args.js";
import { parseExtents, parseSize } from "../../../engine/lvm/sizes.js";

const LVCREATE = [
  { long: "size", short: "L", value: true },
  { long: "extents", short: "l", value: true },
  { long: "name", short: "n", value: true },
  { long: "activate", short: "a", value: true },
  { long: "zero", short: "Z", value: true },
  { long: "stripes", short: "i", value: true },
  { long: "mirrorlog", value: true, aliases: ["mirror-log"] },
];

describe("parseArgs", () => {
  it("reads attached, separate, bundled and long forms as LVM2 does", () => {
    const args = parseArgs(
      "lvcreate",
      ["-L10G", "-n", "lv0", "-an", "--mirror-log=core", "vg0", "/dev/sdb"],
      LVCREATE,
    );
    expect(optionValue(args, "size")).toBe("10G");
    expect(optionValue(args, "name")).toBe("lv0");
    expect(optionValue(args, "activate")).toBe("n");
    expect(optionValue(args, "mirrorlog")).toBe("core");
    expect(args.positionals).toEqual(["vg0", "/dev/sdb"]);
  });

  it("accepts the common options every LVM2 command takes", () => {
    const args = parseArgs("lvcreate", ["--driverloaded", "n", "-y", "vg0"], LVCREATE);
    expect(hasOption(args, "yes")).toBe(true);
    expect(optionValue(args, "driverloaded")).toBe("n");
  });

  it("refuses unknown options with LVM2's wording", () => {
    expect(() => parseArgs("lvcreate", ["--frob"], LVCREATE)).toThrow(CommandLineError);
    expect(() => parseArgs("lvcreate", ["--frob"], LVCREATE)).toThrow(
      "lvcreate: unrecognized option '--frob'",
    );
    expect(() => parseArgs("lvcreate", ["-X"], LVCREATE)).toThrow("invalid option -- 'X'");
    expect(() => parseArgs("lvcreate", ["-L"], LVCREATE)).toThrow("requires an argument -- 'L'");
  });

  it("treats everything after -- as positional", () => {
    expect(parseArgs("lvs", ["--", "-weird"], []).positionals).toEqual(["-weird"]);
  });
});

describe("sizes", () => {
  it("converts units to sectors with binary multiples, case-insensitive", () => {
    expect(parseSize("1k", 2048).sectors).toBe(2);
    expect(parseSize("8M", 2048).sectors).toBe(16384);
    expect(parseSize("8m", 2048).sectors).toBe(16384);
    expect(parseSize("1g", 2048).sectors).toBe(2097152);
    expect(parseSize("1.5g", 2048).sectors).toBe(3145728);
    expect(parseSize("64s", 2048).sectors).toBe(64);
    expect(parseSize("4096b", 2048).sectors).toBe(8);
  });

  it("multiplies a bare number by the option's default unit", () => {
    expect(parseSize("10", 2048).sectors).toBe(20480);
    expect(parseSize("64", 2).sectors).toBe(128);
  });

  it("keeps the sign for lvextend/lvreduce", () => {
    expect(parseSize("+4M", 2048)).toEqual({ sign: "+", sectors: 8192 });
    expect(parseSize("-4M", 2048)).toEqual({ sign: "-", sectors: 8192 });
  });

  it("refuses what LVM2 refuses, with its messages", () => {
    expect(() => parseSize("++4", 2048)).toThrow("Multiple sign symbols detected.");
    expect(() => parseSize("x", 2048)).toThrow("Size requires number argument.");
    expect(() => parseSize("4q", 2048)).toThrow("Can't parse size argument.");
    expect(() => parseSize("1000b", 2048)).toThrow("Size is not a multiple of 512. Try using 512 or 1024.");
  });

  it("reads extents and percentages", () => {
    expect(parseExtents("10")).toEqual({ sign: "", count: 10 });
    expect(parseExtents("+3")).toEqual({ sign: "+", count: 3 });
    expect(parseExtents("100%FREE")).toEqual({ sign: "", count: 100, percentOf: "FREE" });
    expect(parseExtents("50%vg")).toEqual({ sign: "", count: 50, percentOf: "VG" });
    expect(() => parseExtents("10%FOO")).toThrow("Specified %type is unknown.");
  });
});
