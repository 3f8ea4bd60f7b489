import { describe, expect, it } from "vitest";
import { type BlockDeviceError, isBlockDeviceError } from "../../../engine/block/errors.js";
import { issueTimeNs, validateDeviceSize, validateRequest } from "../../../engine/block/validate.js";

const target = { name: "pv0.img", sizeBytes: 8 * 512 };

function errorOf(fn: () => void): BlockDeviceError {
  try {
    fn();
  } catch (error) {
    if (isBlockDeviceError(error)) return error;
    throw error;
  }
  throw new Error("Expected a BlockDeviceError, got none");
}

describe("validateRequest", () => {
  it("accepts aligned in-range requests, including the last sector and zero length", () => {
    expect(() => validateRequest(target, { offsetBytes: 0, lengthBytes: 4096 })).not.toThrow();
    expect(() => validateRequest(target, { offsetBytes: 3584, lengthBytes: 512 })).not.toThrow();
    expect(() => validateRequest(target, { offsetBytes: 4096, lengthBytes: 0 })).not.toThrow();
  });

  it("rejects a misaligned offset with EINVAL naming device, offset and the fix", () => {
    const error = errorOf(() =>
      validateRequest(target, { offsetBytes: 100, lengthBytes: 512 }, { kind: "write" }),
    );
    expect(error.code).toBe("EINVAL");
    expect(error.device).toBe("pv0.img");
    expect(error.offsetBytes).toBe(100);
    expect(error.lengthBytes).toBe(512);
    expect(error.message).toContain("pv0.img");
    expect(error.message).toContain("write is not aligned");
    expect(error.message).toContain("round the request to whole sectors");
  });

  it("rejects a misaligned length", () => {
    const error = errorOf(() => validateRequest(target, { offsetBytes: 512, lengthBytes: 513 }));
    expect(error.code).toBe("EINVAL");
    expect(error.message).toContain("length % 512 = 1");
  });

  it("rejects requests past the end, by one sector or by a whole device", () => {
    for (const [offsetBytes, lengthBytes] of [
      [3584, 1024],
      [4096, 512],
      [1 << 30, 512],
    ] as const) {
      const error = errorOf(() => validateRequest(target, { offsetBytes, lengthBytes }, { kind: "discard" }));
      expect(error.code).toBe("EINVAL");
      expect(error.message).toContain(`ends at byte ${offsetBytes + lengthBytes}`);
      expect(error.message).toContain("4096 bytes");
    }
  });

  it("rejects negative, fractional and non-finite numbers", () => {
    for (const offsetBytes of [-512, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(errorOf(() => validateRequest(target, { offsetBytes, lengthBytes: 512 })).code).toBe("EINVAL");
    }
    expect(errorOf(() => validateRequest(target, { offsetBytes: 0, lengthBytes: -512 })).code).toBe("EINVAL");
  });
});

describe("validateDeviceSize and issueTimeNs", () => {
  it("accept whole-sector sizes and finite times", () => {
    expect(() => validateDeviceSize("d", 2 ** 40)).not.toThrow();
    expect(issueTimeNs("d", undefined)).toBe(0);
    expect(issueTimeNs("d", 42)).toBe(42);
  });

  it("reject zero, partial-sector and unsafe sizes, and bad times", () => {
    for (const sizeBytes of [0, 1000, -512, 2 ** 60]) {
      expect(errorOf(() => validateDeviceSize("d", sizeBytes)).message).toContain("positive multiple of 512");
    }
    expect(errorOf(() => issueTimeNs("d", -1)).code).toBe("EINVAL");
    expect(errorOf(() => issueTimeNs("d", Number.NaN)).code).toBe("EINVAL");
  });
});
