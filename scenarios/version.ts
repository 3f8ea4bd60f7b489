import { readFileSync } from "node:fs";

/** lvmlab's version from package.json, found from the source tree or from dist/. */
export function lvmlabVersion(): string {
  for (const relative of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "lvmlab" && pkg.version !== undefined) return pkg.version;
    } catch {
      // Not at this depth; try the next.
    }
  }
  return "unknown";
}
