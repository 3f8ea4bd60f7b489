/**
 * Custom device profiles, from an object or from a one-line spec such as
 * `custom:bw=100MiB,lat=200us,wlat=50us,par=4` (the form scenario files and the CLI use).
 */
import { type DeviceKind, type DeviceProfile, type HddMechanics, validateProfile } from "./profile.js";
import { HDD_PROFILE } from "./profiles.js";
import { parseBytes, parseBytesPerSec, parseDurationNs } from "./units.js";

/** Fields of a custom profile; only the bandwidth is required, the rest default to 0, 1 or off. */
export interface CustomProfileFields {
  readonly name?: string;
  readonly kind?: DeviceKind;
  readonly bandwidthBytesPerSec: number;
  readonly readLatencyNs?: number;
  readonly writeLatencyNs?: number;
  readonly flushLatencyNs?: number;
  readonly parallelism?: number;
  readonly volatileCache?: boolean;
  readonly jitterFraction?: number;
  readonly iopsLimit?: number;
  readonly iopsBudgetSeparate?: boolean;
  readonly flushIsBarrier?: boolean;
  /** Largest request adjacent requests merge into (the block layer's max_sectors_kb). */
  readonly mergeLimitBytes?: number;
  /** Spinning-disk mechanics; missing fields come from the built-in hdd profile. */
  readonly hdd?: Partial<HddMechanics>;
}

const FIELD_NAMES = new Set([
  "name",
  "kind",
  "bandwidthBytesPerSec",
  "readLatencyNs",
  "writeLatencyNs",
  "flushLatencyNs",
  "parallelism",
  "volatileCache",
  "jitterFraction",
  "iopsLimit",
  "iopsBudgetSeparate",
  "flushIsBarrier",
  "mergeLimitBytes",
  "hdd",
]);
const HDD_FIELD_NAMES = new Set([
  "rpm",
  "trackToTrackSeekNs",
  "averageSeekNs",
  "fullStrokeSeekNs",
  "sizeBytes",
]);

/** Build and validate a custom profile; unknown or bad fields throw an error naming the field. */
export function customProfile(fields: CustomProfileFields): DeviceProfile {
  const name = fields.name ?? "custom";
  for (const key of Object.keys(fields)) {
    if (!FIELD_NAMES.has(key)) {
      throw new RangeError(
        `Device profile ${name}: unknown field "${key}"; known fields are ${[...FIELD_NAMES].join(", ")}`,
      );
    }
  }
  if (fields.bandwidthBytesPerSec === undefined) {
    throw new RangeError(`Device profile ${name}: bandwidthBytesPerSec is required`);
  }
  let hdd: HddMechanics | undefined;
  if (fields.hdd !== undefined) {
    for (const key of Object.keys(fields.hdd)) {
      if (!HDD_FIELD_NAMES.has(key)) {
        throw new RangeError(
          `Device profile ${name}: unknown field "hdd.${key}"; known fields are ${[...HDD_FIELD_NAMES].join(", ")}`,
        );
      }
    }
    hdd = { ...HDD_PROFILE.hdd!, ...fields.hdd };
  }
  const kind: DeviceKind = fields.kind ?? (hdd ? "hdd" : "virtual");
  return validateProfile({
    name,
    kind,
    readLatencyNs: fields.readLatencyNs ?? 0,
    writeLatencyNs: fields.writeLatencyNs ?? 0,
    flushLatencyNs: fields.flushLatencyNs ?? 0,
    bandwidthBytesPerSec: fields.bandwidthBytesPerSec,
    parallelism: fields.parallelism ?? 1,
    volatileCache: fields.volatileCache ?? false,
    jitterFraction: fields.jitterFraction ?? 0,
    ...(fields.iopsLimit === undefined ? {} : { iopsLimit: fields.iopsLimit }),
    ...(fields.iopsBudgetSeparate === undefined ? {} : { iopsBudgetSeparate: fields.iopsBudgetSeparate }),
    ...(fields.flushIsBarrier === undefined ? {} : { flushIsBarrier: fields.flushIsBarrier }),
    ...(fields.mergeLimitBytes === undefined ? {} : { mergeLimitBytes: fields.mergeLimitBytes }),
    ...(hdd ? { hdd } : {}),
  });
}

/** Prefix of a custom profile spec. */
export const CUSTOM_PREFIX = "custom:";

type KeyParser = (value: string, fields: MutableFields) => void;
type MutableFields = { -readonly [K in keyof CustomProfileFields]: CustomProfileFields[K] } & {
  hdd?: { -readonly [K in keyof HddMechanics]?: HddMechanics[K] };
};

function parseBoolean(value: string): boolean {
  if (["1", "on", "true", "yes"].includes(value)) return true;
  if (["0", "off", "false", "no"].includes(value)) return false;
  throw new RangeError(`expected on or off, got "${value}"`);
}

function parseCount(value: string): number {
  if (!/^[0-9]+$/.test(value)) throw new RangeError(`expected a whole number, got "${value}"`);
  return Number(value);
}

function parseFraction(value: string): number {
  const percent = value.endsWith("%");
  const number = Number(percent ? value.slice(0, -1) : value);
  if (value === "" || value === "%" || !Number.isFinite(number)) {
    throw new RangeError(`expected a fraction like 0.1 or 10%, got "${value}"`);
  }
  return percent ? number / 100 : number;
}

function hddField(fields: MutableFields): NonNullable<MutableFields["hdd"]> {
  fields.hdd ??= {};
  return fields.hdd;
}

/**
 * Spec keys, what they set, and how their value is parsed, applied in this order: "lat" comes after
 * "rlat" and "wlat" because it only fills the latencies they leave unset.
 */
const KEYS: ReadonlyMap<string, { readonly help: string; readonly parse: KeyParser }> = new Map([
  [
    "bw",
    {
      help: "bandwidth, reads and writes together (100MiB)",
      parse: (v: string, f: MutableFields) => {
        f.bandwidthBytesPerSec = parseBytesPerSec(v);
      },
    },
  ],
  [
    "rlat",
    {
      help: "read latency",
      parse: (v, f) => {
        f.readLatencyNs = parseDurationNs(v);
      },
    },
  ],
  [
    "wlat",
    {
      help: "write latency",
      parse: (v, f) => {
        f.writeLatencyNs = parseDurationNs(v);
      },
    },
  ],
  [
    "lat",
    {
      help: "read and write latency (200us)",
      parse: (v, f) => {
        f.readLatencyNs ??= parseDurationNs(v);
        f.writeLatencyNs ??= parseDurationNs(v);
      },
    },
  ],
  [
    "flat",
    {
      help: "flush latency",
      parse: (v, f) => {
        f.flushLatencyNs = parseDurationNs(v);
      },
    },
  ],
  [
    "par",
    {
      help: "parallel servers",
      parse: (v, f) => {
        f.parallelism = parseCount(v);
      },
    },
  ],
  [
    "cache",
    {
      help: "volatile write cache (on/off)",
      parse: (v, f) => {
        f.volatileCache = parseBoolean(v);
      },
    },
  ],
  [
    "jitter",
    {
      help: "latency jitter fraction (0.1 or 10%)",
      parse: (v, f) => {
        f.jitterFraction = parseFraction(v);
      },
    },
  ],
  [
    "iops",
    {
      help: "request-rate limit over reads and writes together (1000)",
      parse: (v, f) => {
        f.iopsLimit = parseCount(v);
      },
    },
  ],
  [
    "buckets",
    {
      help: "with iops: `separate` when IOPS and bandwidth are independent budgets (QEMU's throttle), `serial` (default) when each request holds the data path for the longer of the two",
      parse: (v, f) => {
        if (v !== "separate" && v !== "serial")
          throw new RangeError(`expected separate or serial, got "${v}"`);
        f.iopsBudgetSeparate = v === "separate";
      },
    },
  ],
  [
    "barrier",
    {
      help: "a flush waits for queued requests (on, the default) or only covers completed ones (off)",
      parse: (v, f) => {
        f.flushIsBarrier = parseBoolean(v);
      },
    },
  ],
  [
    "merge",
    {
      help: "adjacent requests merge up to this size (1280KiB, Linux's default max_sectors_kb)",
      parse: (v, f) => {
        f.mergeLimitBytes = parseBytes(v);
      },
    },
  ],
  [
    "rpm",
    {
      help: "spindle speed, makes it a disk",
      parse: (v, f) => {
        hddField(f).rpm = parseCount(v);
      },
    },
  ],
  [
    "seek",
    {
      help: "average seek",
      parse: (v, f) => {
        hddField(f).averageSeekNs = parseDurationNs(v);
      },
    },
  ],
  [
    "t2t",
    {
      help: "track-to-track seek",
      parse: (v, f) => {
        hddField(f).trackToTrackSeekNs = parseDurationNs(v);
      },
    },
  ],
  [
    "fullseek",
    {
      help: "full-stroke seek",
      parse: (v, f) => {
        hddField(f).fullStrokeSeekNs = parseDurationNs(v);
      },
    },
  ],
  [
    "size",
    {
      help: "disk size for seek scaling (1TB)",
      parse: (v, f) => {
        hddField(f).sizeBytes = parseBytes(v);
      },
    },
  ],
]);

/** Most keys one spec may carry; every key may appear once, so this is generous. */
const MAX_SPEC_KEYS = 32;

/**
 * Parse `custom:key=value,...`. Keys: bw (required), lat, rlat, wlat, flat, par, cache, jitter, iops, buckets, barrier, merge,
 * and for a spinning disk rpm (required for the others), seek, t2t, fullseek, size. Errors name
 * the key and the spec.
 */
export function parseCustomProfile(spec: string): DeviceProfile {
  if (!spec.startsWith(CUSTOM_PREFIX)) {
    throw new RangeError(
      `Device profile "${spec}" is not a custom spec; it must start with "${CUSTOM_PREFIX}"`,
    );
  }
  const body = spec.slice(CUSTOM_PREFIX.length);
  const pairs = body.length === 0 ? [] : body.split(",");
  if (pairs.length > MAX_SPEC_KEYS) {
    throw new RangeError(
      `Device profile "${spec}": ${pairs.length} keys, at most ${MAX_SPEC_KEYS} are allowed`,
    );
  }
  const values = new Map<string, string>();
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    const key = (at < 0 ? pair : pair.slice(0, at)).trim();
    const value = at < 0 ? "" : pair.slice(at + 1).trim();
    if (!KEYS.has(key)) {
      const known = [...KEYS].map(([k, e]) => `${k} (${e.help})`).join(", ");
      throw new RangeError(`Device profile "${spec}": unknown key "${key}"; known keys are ${known}`);
    }
    if (values.has(key)) {
      throw new RangeError(`Device profile "${spec}": key "${key}" is given twice; keep one`);
    }
    if (value === "") {
      throw new RangeError(`Device profile "${spec}": key "${key}" has no value; write ${key}=<value>`);
    }
    values.set(key, value);
  }
  const fields: MutableFields = { name: spec, bandwidthBytesPerSec: Number.NaN };
  for (const [key, entry] of KEYS) {
    const value = values.get(key);
    if (value === undefined) continue;
    try {
      entry.parse(value, fields);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new RangeError(`Device profile "${spec}": bad value for key "${key}": ${reason}`);
    }
  }
  if (!values.has("bw"))
    throw new RangeError(`Device profile "${spec}": key "bw" is required, e.g. bw=100MiB`);
  if (fields.hdd !== undefined && !values.has("rpm")) {
    throw new RangeError(`Device profile "${spec}": seek keys need "rpm" to make the device a spinning disk`);
  }
  return customProfile(fields);
}
