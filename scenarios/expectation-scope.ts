/**
 * Where each expectation is judged. `expect` holds at every crash point — the scenario's own cut
 * and every point `--explore` places — while `expectAtOwnCut` holds only when a case runs its own
 * faults (its declared or swarm-drawn cut): what only that cut leaves, such as the orphan error LV
 * a cut between pvmove's finishing commits leaves, or a message only a cut with the move on disk
 * makes the recovery print. An explored case is judged on `expect` alone, and its record says which
 * expectations it did not judge and why; a case that judged nothing at all fails, so exploring a
 * scenario whose every expectation is own-cut-only cannot pass by doing nothing.
 */
import type { NotJudged, VerifyCounts } from "./records.js";
import { type Expectations, type ExpectationsPatch, expectationsSet, type Scenario } from "./schema.js";

/**
 * `expect` with `atOwnCut` added: flags turned on, lists joined (without repeats), records merged.
 * Own-cut expectations only add checks (the schema refuses a `false` or a key `expect` has).
 */
export function withOwnCut(expect: Expectations, atOwnCut: ExpectationsPatch | undefined): Expectations {
  if (atOwnCut === undefined) return expect;
  const merged: Record<string, unknown> = { ...expect };
  for (const [field, value] of Object.entries(atOwnCut)) {
    const base = merged[field];
    if (value === undefined) continue;
    if (typeof value === "boolean") merged[field] = value || base === true;
    else if (Array.isArray(value)) merged[field] = [...new Set([...(base as unknown[]), ...value])];
    else merged[field] = { ...(base as object), ...value };
  }
  return merged as Expectations;
}

/**
 * The scenario a case is judged by: at its own faults, `expect` plus `expectAtOwnCut`; at a crash
 * point the runner places (and in the uncut run exploration branches from), `expect` alone.
 */
export function scenarioAtCut(scenario: Scenario, options: { readonly ownCut: boolean }): Scenario {
  if (!options.ownCut || scenario.expectAtOwnCut === undefined) return scenario;
  return { ...scenario, expect: withOwnCut(scenario.expect, scenario.expectAtOwnCut) };
}

const OWN_CUT_REASON =
  "holds only at the scenario's own cut (expectAtOwnCut); this case is a crash point --explore placed";
const DAMAGE_SEEN_REASON =
  "damage the scenario's own fault must leave; an explored crash point replaced that fault";
const NO_BLOCKS_REASON = "the oracle had no written block to verify";

/**
 * What an explored case leaves unjudged of its declared scenario: every own-cut expectation, and
 * `damageSeen` (the damage is the own fault's, which an explored cut replaces).
 */
export function notJudgedAtExploredPoint(declared: Scenario): NotJudged[] {
  const out = expectationsSet(declared.expectAtOwnCut ?? {}).map((expectation) => ({
    expectation,
    reason: OWN_CUT_REASON,
  }));
  if (declared.expect.damageSeen.length > 0)
    out.push({ expectation: "damageSeen", reason: DAMAGE_SEEN_REASON });
  return out;
}

/** What a case's checks judged: every expectation set, less those with nothing to look at. */
export function judgedExpectations(
  expect: Expectations,
  input: { readonly verify: VerifyCounts; readonly explored: boolean },
): { judged: string[]; notJudged: NotJudged[] } {
  const verified = Object.values(input.verify).reduce((sum, n) => sum + n, 0);
  const judged: string[] = [];
  const notJudged: NotJudged[] = [];
  for (const field of expectationsSet(expect)) {
    if (field === "damageSeen" && input.explored) continue;
    if (field === "noAcknowledgedDataLost" && verified === 0) {
      notJudged.push({ expectation: field, reason: NO_BLOCKS_REASON });
      continue;
    }
    judged.push(field);
  }
  return { judged, notJudged };
}

/** The failure of a case that judged nothing: it would pass having checked nothing. */
export function nothingJudgedFailure(notJudged: readonly NotJudged[]): string {
  const skipped = notJudged.map((n) => n.expectation).join(", ");
  return `no expectation was judged at this crash point${skipped === "" ? "" : ` (not judged: ${skipped})`}; add one to expect that holds at every point`;
}
