/**
 * LVM2 ids (`lib/id/id.c`): 32 characters from a 64-character alphabet, stored without dashes on
 * disk and shown in 6-4-4-4-4-4-6 groups in metadata and reports.
 */

/** LVM2's id alphabet; random ids use only the first 62 characters (LVM1 compatibility). */
export const UUID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#";

/** Length of an id without dashes. */
export const UUID_LENGTH = 32;

const GROUP_SIZES = [6, 4, 4, 4, 4, 4, 6] as const;
const RANDOM_ALPHABET_LENGTH = UUID_ALPHABET.length - 2;

/** Thrown when text is not a valid LVM2 id. */
export class InvalidUuidError extends Error {
  override readonly name = "InvalidUuidError";
}

/** A random source returning floats in [0, 1), e.g. a seeded `seedrandom` stream. */
export type RandomSource = () => number;

/** A fresh 32-character id drawn from `random` (never Math.random, so seeds replay). */
export function generateUuid(random: RandomSource): string {
  let id = "";
  for (let i = 0; i < UUID_LENGTH; i++) {
    const r = random();
    if (!(r >= 0 && r < 1)) throw new RangeError(`Random source returned ${r}, expected a float in [0, 1)`);
    id += UUID_ALPHABET[Math.floor(r * RANDOM_ALPHABET_LENGTH)];
  }
  return id;
}

/** True when `id` is 32 characters of LVM2's alphabet (no dashes). */
export function isValidUuid(id: string): boolean {
  if (id.length !== UUID_LENGTH) return false;
  for (const c of id) if (!UUID_ALPHABET.includes(c)) return false;
  return true;
}

/** The dashed display form `xxxxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxxxx` of a 32-character id. */
export function formatUuid(id: string): string {
  if (!isValidUuid(id)) throw new InvalidUuidError(`Cannot format id "${id}": ${whyInvalid(id)}`);
  // LVM2 prints ids that start with '#' verbatim (id_write_format).
  if (id.startsWith("#")) return id;
  const groups: string[] = [];
  let at = 0;
  for (const size of GROUP_SIZES) {
    groups.push(id.slice(at, at + size));
    at += size;
  }
  return groups.join("-");
}

/** The 32-character id from its dashed or undashed form; dashes anywhere are ignored, as in LVM2. */
export function parseUuid(text: string): string {
  const id = text.replaceAll("-", "");
  if (!isValidUuid(id)) throw new InvalidUuidError(`Invalid uuid "${text}": ${whyInvalid(id)}`);
  return id;
}

function whyInvalid(id: string): string {
  if (id.length !== UUID_LENGTH) return `${id.length} characters without dashes, expected ${UUID_LENGTH}`;
  for (const c of id) {
    if (!UUID_ALPHABET.includes(c)) return `character ${JSON.stringify(c)} is not in LVM2's id alphabet`;
  }
  return "unknown reason";
}
