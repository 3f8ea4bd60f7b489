/**
 * Crash policies as short text, the way `--policies`, case keys and `draw` records write them:
 * `drop-all`, `keep-all`, `subset`, `torn`, `prefix:N` (keep the first N cached writes).
 */
import type { CrashPolicySpec } from "../faults/schema.js";

/** The crash policy kinds `--policies` accepts, in the order `lvmlab run --help` lists them. */
const POLICY_NAMES = ["drop-all", "keep-all", "prefix:N", "subset", "torn"] as const;

/** A crash policy's short text: `drop-all`, `subset`, `prefix:3`. */
export function policyText(policy: CrashPolicySpec): string {
  return policy.kind === "prefix" ? `prefix:${policy.count}` : policy.kind;
}

/** Parses a policy's short text; throws a RangeError naming the accepted forms. */
export function parsePolicyText(text: string): CrashPolicySpec {
  if (text === "drop-all" || text === "keep-all" || text === "subset" || text === "torn")
    return { kind: text };
  const prefix = /^prefix:(\d{1,6})$/.exec(text);
  if (prefix) return { kind: "prefix", count: Number(prefix[1]) };
  throw new RangeError(`Unknown crash policy "${text}"; expected one of ${POLICY_NAMES.join(", ")}`);
}

/** Parses a comma-separated `--policies` list; duplicates are refused (they would double cases). */
export function parsePolicyList(text: string): string[] {
  const names = text.split(",").map((t) => t.trim());
  if (names.includes("")) throw new RangeError("--policies needs at least one policy, and no empty entries");
  for (const name of names) parsePolicyText(name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) throw new RangeError(`--policies lists "${duplicate}" twice`);
  return names;
}
