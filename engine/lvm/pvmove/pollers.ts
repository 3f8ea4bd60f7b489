/**
 * The pollers running on one machine, by pvmove LV uuid. One move has at most one poller (as with
 * lvmpolld): starting another for the same LV replaces the first. Dropped with the Host on reboot.
 */
import type { CommandContext } from "../command.js";
import type { Host } from "../host.js";
import { PvmovePoller, type PvmovePollOptions } from "./poll.js";
import type { PvmoveId } from "./setup.js";

const registries = new WeakMap<Host, Map<string, PvmovePoller>>();

function registryOf(host: Host): Map<string, PvmovePoller> {
  let registry = registries.get(host);
  if (registry === undefined) {
    registry = new Map();
    registries.set(host, registry);
  }
  return registry;
}

/** Starts polling `id` (replacing a poller already watching it); returns the new poller. */
export function startPoller(context: CommandContext, id: PvmoveId, options: PvmovePollOptions): PvmovePoller {
  const registry = registryOf(context.host);
  registry.get(id.lvId)?.stop();
  const poller = new PvmovePoller(context, id, {
    ...options,
    onEnd: (outcome) => {
      if (registry.get(id.lvId) === poller) registry.delete(id.lvId);
      options.onEnd?.(outcome);
    },
  });
  registry.set(id.lvId, poller);
  poller.start();
  return poller;
}

/** Stops the poller of the pvmove LV `lvId`, if one runs. */
export function stopPoller(host: Host, lvId: string): void {
  const registry = registryOf(host);
  registry.get(lvId)?.stop();
  registry.delete(lvId);
}
