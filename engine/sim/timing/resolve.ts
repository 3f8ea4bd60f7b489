/** Turn a profile name from a scenario or the command line into a {@link DeviceProfile}. */
import { CUSTOM_PREFIX, parseCustomProfile } from "./custom.js";
import type { DeviceProfile } from "./profile.js";
import { BUILTIN_PROFILES, PROFILE_ALIASES } from "./profiles.js";

/** A built-in profile by name ("nvme", "sata-ssd", "hdd", "realdm-100mib-1kiops"; the old "realdm-100mib" is an alias) or a `custom:` spec. */
export function resolveProfile(spec: string): DeviceProfile {
  if (spec.startsWith(CUSTOM_PREFIX)) return parseCustomProfile(spec);
  const builtin = BUILTIN_PROFILES.get(PROFILE_ALIASES.get(spec) ?? spec);
  if (builtin === undefined) {
    throw new RangeError(
      `Unknown device profile "${spec}"; use one of ${[...BUILTIN_PROFILES.keys()].join(", ")} or custom:bw=100MiB,lat=200us,...`,
    );
  }
  return builtin;
}
