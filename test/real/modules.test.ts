import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { indexModules, moduleDepends, moduleLoadOrder, moduleName } from "../../real/modules.js";

const dir = mkdtempSync(join(tmpdir(), "lvmlab-modules-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake .ko: only the modinfo strings matter to the resolver. */
function ko(name: string, depends: string): string {
  const path = join(dir, `${name}.ko`);
  writeFileSync(path, `\x7fELF\0junk\0license=GPL\0depends=${depends}\0name=${name}\0`, "latin1");
  return path;
}

describe("kernel module resolution", () => {
  it("treats - and _ alike and strips paths and suffixes", () => {
    expect(moduleName("kernel/drivers/md/dm-mod.ko")).toBe("dm_mod");
    expect(moduleName("dm-bufio")).toBe("dm_bufio");
  });

  it("reads depends= from the modinfo strings", () => {
    expect(moduleDepends(Buffer.from("x\0depends=dm-mod,dm-log\0y", "latin1"))).toEqual(["dm_mod", "dm_log"]);
    expect(moduleDepends(Buffer.from("x\0depends=\0y", "latin1"))).toEqual([]);
  });

  it("orders every module after its dependencies and skips missing optional ones", () => {
    ko("dm-mod", "");
    ko("dm-log", "dm-mod");
    ko("dm-region-hash", "dm-log");
    ko("dm-mirror", "dm-region-hash,dm-log,dm-mod");
    const index = indexModules(dir);
    const order = moduleLoadOrder(index, { required: ["dm_mirror", "dm_mod"], optional: ["dm_dust"] }).map(
      moduleName,
    );
    expect(order).toEqual(["dm_mod", "dm_log", "dm_region_hash", "dm_mirror"]);
  });

  it("names the module that needs a missing dependency", () => {
    ko("needs-ghost", "ghost");
    expect(() => moduleLoadOrder(indexModules(dir), { required: ["needs_ghost"] })).toThrow(
      /Kernel module ghost not found \(needed by needs_ghost\)/,
    );
  });
});

describe("dm-dust built out of tree", () => {
  it("is loaded after dm-mod when setup adds its path to the kernel's index", () => {
    const outside = mkdtempSync(join(tmpdir(), "lvmlab-dust-ko-"));
    try {
      const kernel = mkdtempSync(join(dir, "kernel-"));
      writeFileSync(join(kernel, "dm-mod.ko"), "\x7fELF\0depends=\0name=dm_mod\0", "latin1");
      const index = indexModules(kernel);
      expect(moduleLoadOrder(index, { required: ["dm_mod"], optional: ["dm_dust"] }).map(moduleName)).toEqual(
        ["dm_mod"],
      );
      const dust = join(outside, "dm-dust.ko");
      writeFileSync(
        dust,
        "\x7fELF\0depends=dm-mod\0name=dm_dust\0vermagic=6.1.0-57-cloud-amd64 SMP\0",
        "latin1",
      );
      index.set("dm_dust", dust);
      const order = moduleLoadOrder(index, { required: ["dm_mod"], optional: ["dm_dust"] });
      expect(order.map(moduleName)).toEqual(["dm_mod", "dm_dust"]);
      expect(order.at(-1)).toBe(dust);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
