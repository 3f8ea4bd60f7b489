/**
 * Built-in device profiles with realistic numbers. Each value names where it comes from; values
 * marked "estimate" are not on any datasheet and were chosen to be typical for the class.
 */
import { type DeviceProfile, validateProfile } from "./profile.js";

/** Validate and freeze a built-in, so no caller can change it for everyone else. */
function frozen(profile: DeviceProfile): DeviceProfile {
  return Object.freeze(validateProfile(profile));
}

/**
 * A consumer NVMe SSD, after the Samsung 970 EVO Plus 1 TB data sheet: sequential 3,500 MB/s read
 * and 3,300 MB/s write (the lower figure, since the model shares one bandwidth); 4 KiB random QD1
 * 19,000 read and 60,000 write IOPS, hence ≈ 51 µs and ≈ 15 µs fixed latency once the 1.2 µs
 * transfer is taken off; 600,000 read IOPS at high queue depth, hence 32 servers by Little's law
 * (600k × 52.6 µs). Volatile DRAM cache; flush cost is an estimate.
 */
export const NVME_PROFILE: DeviceProfile = frozen({
  name: "nvme",
  kind: "nvme",
  readLatencyNs: 51_000,
  writeLatencyNs: 15_000,
  flushLatencyNs: 200_000,
  bandwidthBytesPerSec: 3.3e9,
  parallelism: 32,
  volatileCache: true,
  jitterFraction: 0.1,
});

/**
 * A SATA SSD, after the Samsung 870 EVO data sheet: sequential 560 MB/s read and 530 MB/s write
 * (the lower figure is used); 4 KiB random QD1 13,000 read and 36,000 write IOPS, hence ≈ 69 µs
 * and ≈ 20 µs fixed latency after the 7.7 µs transfer; 98,000 read IOPS at QD32, hence 8 servers
 * (98k × 77 µs ≈ 7.6). Volatile cache; flush cost is an estimate.
 */
export const SATA_SSD_PROFILE: DeviceProfile = frozen({
  name: "sata-ssd",
  kind: "ssd",
  readLatencyNs: 69_000,
  writeLatencyNs: 20_000,
  flushLatencyNs: 500_000,
  bandwidthBytesPerSec: 530e6,
  parallelism: 8,
  volatileCache: true,
  jitterFraction: 0.1,
});

/**
 * A 1 TB 7200 rpm desktop disk. Seek times from Hitachi's OEM specifications: average read seek
 * 8.5 ms (Deskstar 7K1000.C, two-disk model, §4.5.2), single-track 1.0 ms and full stroke 20.0 ms
 * (7K320, §4.4.2); 7200 rpm gives 8.3 ms per revolution, 4.2 ms average rotational latency.
 * Sustained media rate 140 MB/s, 200 µs command overhead and the flush cost are estimates for
 * the class. One actuator, so one server; the write cache is on by default.
 */
export const HDD_PROFILE: DeviceProfile = frozen({
  name: "hdd",
  kind: "hdd",
  readLatencyNs: 200_000,
  writeLatencyNs: 200_000,
  flushLatencyNs: 4_200_000,
  bandwidthBytesPerSec: 140e6,
  parallelism: 1,
  volatileCache: true,
  jitterFraction: 0.05,
  hdd: Object.freeze({
    rpm: 7200,
    trackToTrackSeekNs: 1_000_000,
    averageSeekNs: 8_500_000,
    fullStrokeSeekNs: 20_000_000,
    sizeBytes: 1e12,
  }),
});

/**
 * The disks of the reference runs in research/realdm-observations.md: virtio disks that QEMU
 * throttles to 100 MiB/s **and** 1000 IOPS, both counted over reads and writes together (so a 1 MiB
 * dd is bandwidth-bound at 101.6 MiB/s and 4 KiB random writes at iodepth 32 run at 1021 IOPS).
 * The host file under each disk is fast; the throttle is the limit. A guest flush (REQ_PREFLUSH)
 * is not throttled and does not wait for writes still queued in the throttle, so it is no barrier.
 * Latencies and servers are estimates. The flush cost (a host fdatasync under software
 * emulation) is calibrated on one counter set: with 4 ms, a disk-log mirror under 4096 random
 * 4 KiB writes makes 405 log flushes and 407 leg flushes (real: 399 and 421).
 */
export const REALDM_PROFILE: DeviceProfile = frozen({
  name: "realdm-100mib-1kiops",
  kind: "virtual",
  readLatencyNs: 50_000,
  writeLatencyNs: 50_000,
  flushLatencyNs: 4_000_000,
  bandwidthBytesPerSec: 100 * 2 ** 20,
  parallelism: 32,
  volatileCache: true,
  jitterFraction: 0,
  iopsLimit: 1000,
  flushIsBarrier: false,
  // Linux's default max_sectors_kb (BLK_DEF_MAX_SECTORS, 2560 sectors): kcopyd's adjacent chunk
  // reads and the COW's consecutive chunk writes merge up to this size, as /sys/block/*/stat shows.
  mergeLimitBytes: 1280 * 1024,
});

/**
 * Former names of built-in profiles, still accepted: `realdm-100mib` lacked the IOPS limit of the
 * second reference round, and its sequential anchors hold unchanged under the new profile.
 */
export const PROFILE_ALIASES: ReadonlyMap<string, string> = new Map([["realdm-100mib", REALDM_PROFILE.name]]);

/** Built-in profiles by name. */
export const BUILTIN_PROFILES: ReadonlyMap<string, DeviceProfile> = new Map(
  [NVME_PROFILE, SATA_SSD_PROFILE, HDD_PROFILE, REALDM_PROFILE].map((p) => [p.name, p]),
);
