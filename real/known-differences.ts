import type { Difference } from "./diff.js";

/**
 * Differences between the model and the real system that are understood and documented in the
 * README ("Known differences"): each is matched narrowly and carries its explanation, so a run
 * reports it without failing. Anything not listed here fails `lvmlab real run` and its tests.
 */
export interface KnownDifference {
  readonly id: string;
  readonly matches: (difference: Difference) => boolean;
  readonly why: string;
}

/** The understood differences. */
const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    id: "pvmove-poller-race",
    matches: (d) =>
      d.aspect === "message" &&
      /^recovery\.\d+ "pvmove\b/.test(d.subject) &&
      d.model === "" &&
      /^ *\S+: No pvmove in progress - already finished or aborted\.$/.test(d.real),
    why: "the background poller vgchange -ay started finished the move before the operator's pvmove polled it (a race of two real pollers; the model's virtual clock lets the foreground pvmove join the move)",
  },
];

/** The explanation of a difference, or undefined when it is not a known one. */
export function explainDifference(difference: Difference): string | undefined {
  const known = KNOWN_DIFFERENCES.find((k) => k.matches(difference));
  return known === undefined ? undefined : `${known.id}: ${known.why}`;
}
