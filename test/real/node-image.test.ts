import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildNodeImage,
  guestLvmlabCommand,
  loaderName,
  NodeImageError,
  nodeImageEntries,
  type PackageManifest,
  runtimePackages,
} from "../../real/node-image.js";

/** A package tree as the resolver sees it: directory → package.json. */
function tree(packages: Record<string, PackageManifest>): (dir: string) => PackageManifest | undefined {
  return (dir) => packages[dir];
}

describe("the runtime packages of the Node image", () => {
  it("follows dependencies and installed optional ones, nearest node_modules first", () => {
    const read = tree({
      ".": {
        name: "lvmlab",
        dependencies: { a: "1", "@s/b": "1" },
        optionalDependencies: { "@s/b-linux-x64": "1" },
      },
      "node_modules/a": { name: "a", dependencies: { c: "1" } },
      "node_modules/a/node_modules/c": { name: "c", dependencies: { d: "1" } },
      // c's d is the hoisted one; a's nested c shadows the hoisted c.
      "node_modules/c": { name: "c" },
      "node_modules/d": { name: "d", dependencies: { a: "1" } },
      "node_modules/@s/b": { name: "@s/b", optionalDependencies: { "@s/b-darwin-arm64": "1" } },
      "node_modules/@s/b-linux-x64": { name: "@s/b-linux-x64" },
      // Dev-only packages are never reached.
      "node_modules/vitest": { name: "vitest" },
    });
    expect(runtimePackages(read)).toEqual([
      "node_modules/@s/b",
      "node_modules/@s/b-linux-x64",
      "node_modules/a",
      "node_modules/a/node_modules/c",
      "node_modules/d",
    ]);
  });

  it("names who needs a missing required dependency", () => {
    const read = tree({
      ".": { name: "lvmlab", dependencies: { a: "1" } },
      "node_modules/a": { name: "a", dependencies: { z: "1" } },
    });
    expect(() => runtimePackages(read)).toThrow("a needs z, which is not installed; run npm ci");
    expect(() => runtimePackages(tree({}))).toThrow(NodeImageError);
  });

  it("finds this checkout's runtime packages and none of its dev ones", async () => {
    const { existsSync, readFileSync } = await import("node:fs");
    const packages = runtimePackages((dir) =>
      existsSync(join(dir, "package.json"))
        ? (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageManifest)
        : undefined,
    );
    expect(packages).toContain("node_modules/commander");
    expect(packages).toContain("node_modules/zod");
    expect(packages.some((p) => p.startsWith("node_modules/@node-rs/xxhash-linux"))).toBe(true);
    expect(packages).not.toContain("node_modules/vitest");
    expect(packages).not.toContain("node_modules/typescript");
  });
});

describe("the Node image's layout", () => {
  const libraries = [
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib64/ld-linux-x86-64.so.2",
    "/lib/x86_64-linux-gnu/libc.so.6",
  ];

  it("puts node in bin/, the libraries and loader flat in lib/, the project in app/", () => {
    const entries = nodeImageEntries({
      projectRoot: "/p",
      nodeBinary: "/usr/bin/node",
      libraries,
      packages: ["node_modules/a", "node_modules/a/node_modules/c"],
    });
    expect(entries).toEqual([
      { from: "/usr/bin/node", to: "bin/node", kind: "file" },
      { from: "/lib/x86_64-linux-gnu/libc.so.6", to: "lib/libc.so.6", kind: "file" },
      { from: "/lib64/ld-linux-x86-64.so.2", to: "lib/ld-linux-x86-64.so.2", kind: "file" },
      { from: "/p/package.json", to: "app/package.json", kind: "file" },
      { from: "/p/dist", to: "app/dist", kind: "dir" },
      { from: "/p/node_modules/a", to: "app/node_modules/a", kind: "dir" },
      { from: "/p/node_modules/a/node_modules/c", to: "app/node_modules/a/node_modules/c", kind: "dir" },
    ]);
    expect(() =>
      nodeImageEntries({
        projectRoot: "/p",
        nodeBinary: "/n",
        libraries: ["/a/libx.so", "/b/libx.so"],
        packages: [],
      }),
    ).toThrow(/Two libraries named libx\.so/);
  });

  it("runs node through the image's own loader and libraries", () => {
    expect(loaderName(libraries)).toBe("ld-linux-x86-64.so.2");
    expect(() => loaderName(["/lib/libc.so.6"])).toThrow(/no loader/);
    expect(guestLvmlabCommand("ld-linux-x86-64.so.2")).toBe(
      "/opt/lvmlab/lib/ld-linux-x86-64.so.2 --library-path /opt/lvmlab/lib /opt/lvmlab/bin/node /opt/lvmlab/app/dist/cli/main.js",
    );
  });
});

const hasMkfs = spawnSync("mkfs.ext4", ["-V"], { stdio: "ignore" }).error === undefined;
const hasDebugfs = spawnSync("debugfs", ["-V"], { stdio: "ignore" }).error === undefined;

describe.skipIf(!hasMkfs || !hasDebugfs)("building the image with mkfs.ext4 -d", () => {
  it("writes a small project into ext4 without mounting it, and leaves only the image", () => {
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-node-image-test-"));
    try {
      const project = join(dir, "p");
      mkdirSync(join(project, "dist", "cli"), { recursive: true });
      mkdirSync(join(project, "node_modules", "a", "node_modules", "dev-only"), { recursive: true });
      writeFileSync(join(project, "package.json"), JSON.stringify({ name: "p", dependencies: { a: "1" } }));
      writeFileSync(join(project, "dist", "cli", "main.js"), "console.log(1)\n");
      writeFileSync(join(project, "node_modules", "a", "package.json"), JSON.stringify({ name: "a" }));
      writeFileSync(join(project, "node_modules", "a", "node_modules", "dev-only", "package.json"), "{}");
      const out = join(dir, "out");
      mkdirSync(out);
      // A small dynamic binary stands in for node: its libraries and loader go in the same way.
      const image = buildNodeImage({ dir: out, projectRoot: project, nodeBinary: "/bin/true" });
      expect(image.loader).toMatch(/^ld-linux/);
      const ls = (path: string) =>
        execFileSync("debugfs", ["-R", `ls -p ${path}`, image.path], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        })
          .split("\n")
          .map((l) => l.split("/")[5])
          .filter((n): n is string => n !== undefined && n !== "" && n !== "." && n !== "..");
      expect(ls("/").sort()).toEqual(["app", "bin", "lib", "lost+found"]);
      expect(ls("/bin")).toEqual(["node"]);
      expect(image.files).toBeGreaterThan(5);
      expect(ls("/lib")).toContain(image.loader);
      expect(ls("/app/dist/cli")).toEqual(["main.js"]);
      // A package's nested node_modules that no runtime dependency reaches stays out.
      expect(ls("/app/node_modules/a")).toEqual(["package.json"]);
      expect(execFileSync("ls", [out], { encoding: "utf8" })).toBe("node.img\n");
      expect(() => buildNodeImage({ dir: out, projectRoot: join(dir, "nothing") })).toThrow(/npm run build/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
