import { describe, expect, it } from "vitest";
import { customProfile, parseCustomProfile } from "../../../../engine/sim/timing/custom.js";
import { type DeviceProfile, validateProfile } from "../../../../engine/sim/timing/profile.js";
import {
  BUILTIN_PROFILES,
  HDD_PROFILE,
  NVME_PROFILE,
  REALDM_PROFILE,
  SATA_SSD_PROFILE,
} from "../../../../engine/sim/timing/profiles.js";
import { resolveProfile } from "../../../../engine/sim/timing/resolve.js";
import { serviceNs } from "../../../../engine/sim/timing/service.js";
import { parseBytes, parseBytesPerSec, parseDurationNs } from "../../../../engine/sim/timing/units.js";

const MiB = 1024 * 1024;

describe("built-in profiles", () => {
  it("are found by name and pass validation", () => {
    expect(resolveProfile("nvme")).toBe(NVME_PROFILE);
    expect(resolveProfile("sata-ssd")).toBe(SATA_SSD_PROFILE);
    expect(resolveProfile("hdd")).toBe(HDD_PROFILE);
    expect(resolveProfile("realdm-100mib")).toBe(REALDM_PROFILE);
    for (const profile of BUILTIN_PROFILES.values()) expect(validateProfile(profile)).toBe(profile);
  });

  it("are frozen, so one caller cannot change them for everyone", () => {
    expect(Object.isFrozen(HDD_PROFILE)).toBe(true);
    expect(Object.isFrozen(HDD_PROFILE.hdd)).toBe(true);
    expect(() => {
      (NVME_PROFILE as { parallelism: number }).parallelism = 1;
    }).toThrow(TypeError);
  });

  it("order flash and disk by random 4 KiB read time", () => {
    const read = { op: "read", offsetBytes: 512 * MiB, lengthBytes: 4096 } as const;
    const nvme = serviceNs(NVME_PROFILE, read);
    const ssd = serviceNs(SATA_SSD_PROFILE, read);
    const hdd = serviceNs(HDD_PROFILE, read);
    expect(nvme).toBeLessThan(ssd);
    expect(hdd).toBeGreaterThan(50 * ssd);
  });

  it("reproduce the datasheet QD1 random read rates they were derived from", () => {
    const read = { op: "read", offsetBytes: 0, lengthBytes: 4096 } as const;
    // 970 EVO Plus: 19,000 IOPS; 870 EVO: 13,000 IOPS (4 KiB, QD1).
    expect(Math.abs(1e9 / serviceNs(NVME_PROFILE, read) - 19_000)).toBeLessThan(500);
    expect(Math.abs(1e9 / serviceNs(SATA_SSD_PROFILE, read) - 13_000)).toBeLessThan(500);
  });

  it("keep the reference disks bandwidth-bound for 1 MiB requests, as dd measured", () => {
    const oneMiB = serviceNs(REALDM_PROFILE, { op: "write", offsetBytes: 0, lengthBytes: MiB });
    const mibPerSec = 1e9 / oneMiB;
    expect(mibPerSec).toBeGreaterThan(99);
    expect(mibPerSec).toBeLessThanOrEqual(100);
  });

  it("fails on an unknown name, listing the known ones", () => {
    expect(() => resolveProfile("ssd")).toThrow(
      /Unknown device profile "ssd"; use one of nvme, sata-ssd, hdd/,
    );
  });
});

describe("custom profiles from a spec", () => {
  it("parses bandwidth, latencies and parallelism", () => {
    const p = parseCustomProfile("custom:bw=100MiB,lat=200us,wlat=50us,par=4");
    expect(p).toMatchObject({
      name: "custom:bw=100MiB,lat=200us,wlat=50us,par=4",
      kind: "virtual",
      bandwidthBytesPerSec: 100 * MiB,
      readLatencyNs: 200_000,
      writeLatencyNs: 50_000,
      flushLatencyNs: 0,
      parallelism: 4,
      volatileCache: false,
      jitterFraction: 0,
    });
    expect(p.hdd).toBeUndefined();
  });

  it("lets rlat and wlat override lat in any order", () => {
    const p = resolveProfile("custom:wlat=5ms,lat=1ms,bw=1GB/s");
    expect(p.readLatencyNs).toBe(1_000_000);
    expect(p.writeLatencyNs).toBe(5_000_000);
    expect(p.bandwidthBytesPerSec).toBe(1e9);
  });

  it("tolerates spaces around keys and values", () => {
    const p = resolveProfile("custom: lat = 1ms , bw=1GB");
    expect(p.readLatencyNs).toBe(1_000_000);
    expect(p.bandwidthBytesPerSec).toBe(1e9);
  });

  it("parses cache, jitter and flush latency", () => {
    const p = resolveProfile("custom:bw=25MiB,flat=2ms,cache=on,jitter=10%");
    expect(p.volatileCache).toBe(true);
    expect(p.jitterFraction).toBeCloseTo(0.1, 12);
    expect(p.flushLatencyNs).toBe(2_000_000);
  });

  it("makes a spinning disk when rpm is given, filling unset mechanics from the hdd profile", () => {
    const p = resolveProfile("custom:bw=200MB,rpm=15000,seek=3.5ms,t2t=0.2ms,fullseek=8ms,size=600GB");
    expect(p.kind).toBe("hdd");
    expect(p.hdd).toEqual({
      rpm: 15000,
      averageSeekNs: 3_500_000,
      trackToTrackSeekNs: 200_000,
      fullStrokeSeekNs: 8_000_000,
      sizeBytes: 600e9,
    });
    const defaults = resolveProfile("custom:bw=100MB,rpm=5400");
    expect(defaults.hdd).toEqual({ ...HDD_PROFILE.hdd, rpm: 5400 });
  });

  it.each([
    ["custom:bw=100MiB,lat=200us,speed=3", /unknown key "speed"; known keys are bw \(/],
    ["custom:lat=200us", /key "bw" is required/],
    ["custom:bw=100MiB,bw=200MiB", /key "bw" is given twice/],
    ["custom:bw=", /key "bw" has no value/],
    ["custom:bw=100M", /bad value for key "bw": .*unknown unit "M"; use B, KiB/],
    ["custom:bw=100MiB,lat=200", /bad value for key "lat": .*missing unit; use ns, us, ms or s/],
    ["custom:bw=100MiB,lat=2 hours", /bad value for key "lat"/],
    ["custom:bw=100MiB,par=0", /parallelism must be an integer in \[1, 1024\], got 0/],
    ["custom:bw=100MiB,par=2.5", /bad value for key "par": expected a whole number/],
    ["custom:bw=100MiB,cache=maybe", /bad value for key "cache": expected on or off/],
    ["custom:bw=100MiB,jitter=2", /jitterFraction must be a number in \[0, 1\], got 2/],
    ["custom:bw=100MiB,seek=8ms", /seek keys need "rpm"/],
    ["custom:bw=100MiB,rpm=7200,seek=30ms", /seek times are inconsistent/],
    ["custom:bw=0", /bandwidthBytesPerSec must be a number in \[1, /],
    ["customs:bw=1", /Unknown device profile/],
    ["custom:bw=1MB,toString=1", /unknown key "toString"/],
    ["custom:bw=1MB,__proto__=1", /unknown key "__proto__"/],
    ["custom:", /key "bw" is required/],
  ])("rejects %s with a clear message", (spec, message) => {
    expect(() => resolveProfile(spec)).toThrow(message);
  });
});

describe("custom profiles from an object", () => {
  it("fills defaults", () => {
    const p = customProfile({ name: "slow", bandwidthBytesPerSec: 25 * MiB, parallelism: 2 });
    expect(p).toEqual({
      name: "slow",
      kind: "virtual",
      readLatencyNs: 0,
      writeLatencyNs: 0,
      flushLatencyNs: 0,
      bandwidthBytesPerSec: 25 * MiB,
      parallelism: 2,
      volatileCache: false,
      jitterFraction: 0,
    });
  });

  it("names an unknown or bad field", () => {
    const bad = { bandwidthBytesPerSec: 1e6, latencyNs: 5 } as unknown as Parameters<typeof customProfile>[0];
    expect(() => customProfile(bad)).toThrow(/unknown field "latencyNs"/);
    const badHdd = { bandwidthBytesPerSec: 1e6, hdd: { rpms: 1 } } as unknown as Parameters<
      typeof customProfile
    >[0];
    expect(() => customProfile(badHdd)).toThrow(/unknown field "hdd.rpms"/);
    expect(() => customProfile({ bandwidthBytesPerSec: 1e6, readLatencyNs: -1 })).toThrow(
      /Device profile custom: readLatencyNs must be a number in \[0, /,
    );
  });

  it("refuses hdd mechanics on a flash kind and a disk kind without them", () => {
    const flashWithArm: DeviceProfile = { ...NVME_PROFILE, hdd: HDD_PROFILE.hdd! };
    expect(() => validateProfile(flashWithArm)).toThrow(/kind "nvme" must not have hdd mechanics/);
    const { hdd: _, ...armless } = HDD_PROFILE;
    expect(() => validateProfile(armless)).toThrow(/kind "hdd" needs hdd mechanics/);
  });
});

describe("units", () => {
  it("parses powers of two and of ten distinctly", () => {
    expect(parseBytes("4KiB")).toBe(4096);
    expect(parseBytes("4kB")).toBe(4000);
    expect(parseBytes("1.5GiB")).toBe(1.5 * 2 ** 30);
    expect(parseBytes("512")).toBe(512);
    expect(parseBytesPerSec("3.3GB/s")).toBe(3.3e9);
  });

  it("parses durations and requires a unit", () => {
    expect(parseDurationNs("200us")).toBe(200_000);
    expect(parseDurationNs("200µs")).toBe(200_000);
    expect(parseDurationNs("8.5ms")).toBe(8_500_000);
    expect(parseDurationNs("2s")).toBe(2e9);
    expect(parseDurationNs("15ns")).toBe(15);
    expect(() => parseDurationNs("15")).toThrow(/missing unit/);
    expect(() => parseDurationNs("-1ms")).toThrow(/expected a number and a unit/);
  });
});

describe("the reference profile", () => {
  it("is printed with its definition, and its old name still resolves to it", async () => {
    const { describeProfile } = await import("../../../../engine/sim/timing/profile.js");
    expect(resolveProfile("realdm-100mib")).toBe(REALDM_PROFILE);
    expect(describeProfile(REALDM_PROFILE)).toContain(
      "realdm-100mib-1kiops: virtual, 100 MiB/s and 1000 IOPS shared by reads and writes",
    );
    expect(parseCustomProfile("custom:bw=100MiB,iops=500,barrier=off")).toMatchObject({
      iopsLimit: 500,
      flushIsBarrier: false,
    });
  });
});
