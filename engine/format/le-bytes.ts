/**
 * Little-endian field access for on-disk structures. LVM2 stores u64 offsets and sizes; we keep
 * them as numbers, so a value beyond 2^53 is refused loudly rather than rounded silently.
 */

/** A DataView over exactly the bytes of `buf`, without copying. */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Reads a u64 as a number, or undefined when it does not fit exactly in a double. */
export function readU64(view: DataView, at: number): number | undefined {
  // Two 32-bit halves, not getBigUint64: no BigInt to allocate on every field of every header.
  const high = view.getUint32(at + 4, true);
  // MAX_SAFE_INTEGER is 2^53 - 1: the high half fits in 21 bits.
  if (high > 0x1fffff) return undefined;
  return high * 0x1_0000_0000 + view.getUint32(at, true);
}

/** Writes a non-negative safe integer as a u64. */
export function writeU64(view: DataView, at: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `Cannot store ${value} as an on-disk u64 at byte ${at}: expected a safe integer >= 0`,
    );
  }
  view.setBigUint64(at, BigInt(value), true);
}

/** Writes an ASCII string of exactly `length` bytes. */
export function writeAscii(buf: Uint8Array, at: number, text: string, length: number): void {
  if (text.length !== length) {
    throw new RangeError(
      `Cannot store "${text}" in a ${length}-byte field: it has ${text.length} characters`,
    );
  }
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) throw new RangeError(`Cannot store "${text}": character ${i} is not ASCII`);
    buf[at + i] = code;
  }
}

/** Reads `length` bytes as Latin-1 text (byte-for-byte, so corrupt bytes still print). */
export function readAscii(buf: Uint8Array, at: number, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += String.fromCharCode(buf[at + i] ?? 0);
  return text;
}

/** True when `a` and `b` hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
