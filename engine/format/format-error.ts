/** The error for on-disk structures (label, pv_header, mda_header) that fail a strict check. */

/** What is wrong with an on-disk field, and where. */
export interface OnDiskFormatProblem {
  /** Device name, e.g. "pv0.img". */
  readonly device: string;
  /** Absolute byte offset of the structure on the device. */
  readonly offsetBytes: number;
  /** Structure name as LVM2 calls it, e.g. "label_header", "pv_header", "mda_header". */
  readonly structure: string;
  /** The failing field, e.g. "crc_xl". */
  readonly field: string;
  readonly expected: string;
  readonly found: string;
  /** What the user can do about it. */
  readonly hint: string;
}

/** A structure on disk that does not decode; names device, sector, field, expected and found. */
export class OnDiskFormatError extends Error {
  override readonly name = "OnDiskFormatError";
  readonly problem: OnDiskFormatProblem;

  constructor(problem: OnDiskFormatProblem) {
    const sector = Math.floor(problem.offsetBytes / 512);
    super(
      `Cannot read ${problem.structure} on ${problem.device} at sector ${sector} (byte ${problem.offsetBytes}): ` +
        `${problem.field} is ${problem.found}, expected ${problem.expected}; ${problem.hint}`,
    );
    this.problem = problem;
  }
}

/** True when the error is an {@link OnDiskFormatError}. */
export function isOnDiskFormatError(error: unknown): error is OnDiskFormatError {
  return error instanceof OnDiskFormatError;
}

/** `0x`-prefixed 8-digit hex, the way checksums are shown in errors. */
export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, "0")}`;
}
