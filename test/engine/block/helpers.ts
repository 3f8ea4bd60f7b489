import { Buffer } from "node:buffer";

/** Index of the first differing byte (or the shorter length), -1 when equal; fast for big images. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length === b.length && Buffer.compare(a, b) === 0) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** A buffer of `lengthBytes` bytes all equal to `byte`. */
export function filled(lengthBytes: number, byte: number): Uint8Array {
  return new Uint8Array(lengthBytes).fill(byte);
}
