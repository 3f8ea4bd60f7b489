import type { LoadedScenario } from "./load.js";

/** Converts a shell-style glob (`*`, `?`) into an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

/**
 * Picks scenarios by name, tag or glob (`lvmlab run pvmove-* mirror nightly`). No selector picks
 * everything. A selector that matches nothing is an error, so a typo never runs an empty sweep.
 */
export function selectScenarios(
  all: readonly LoadedScenario[],
  selectors: readonly string[],
): LoadedScenario[] {
  if (selectors.length === 0) return [...all];
  const picked = new Set<LoadedScenario>();
  for (const selector of selectors) {
    const pattern = globToRegExp(selector);
    const matches = all.filter(
      (s) =>
        s.scenario.name === selector || s.scenario.tags.includes(selector) || pattern.test(s.scenario.name),
    );
    if (matches.length === 0) {
      throw new RangeError(
        `No scenario or tag matches "${selector}"; see \`lvmlab list\` for names and tags`,
      );
    }
    for (const match of matches) picked.add(match);
  }
  return all.filter((s) => picked.has(s));
}
