/**
 * What LVM2 asks of dm-thin (`lib/thin/thin.c` `_thin_pool_add_target_line`,
 * `libdm/libdm-deptree.c` `_thin_pool_node_send_messages`, `thin_manip.c` `update_pool_lv`): load a
 * pool table over `_tmeta` and `_tdata`, compare the kernel's transaction_id with the metadata's,
 * and send the queued messages and `set_transaction_id`.
 */

import { SECTOR_BYTES } from "../../block/device.js";
import { isBlockDeviceError } from "../../block/errors.js";
import type { MappedDevice } from "../../dm/target.js";
import { ThinMessageError, ThinPoolTarget } from "../../dm/thin/pool.js";
import { findLv, type OtherSegment, type VolumeGroup } from "../../metadata/model.js";
import { thinInfo, thinPoolInfo, thinPoolSegment, thinSegment } from "../../metadata/thin.js";
import { dmName } from "../activation/dm-name.js";
import { LvmCommandError } from "../command.js";
import type { Host } from "../host.js";
import { lowWaterBlocks, thinAutoextend } from "./autoextend-settings.js";

/** Builds the pool target of `poolName` over its sub-LV devices and brings the kernel's transaction up to the metadata's. */
export function loadPoolTarget(
  host: Host,
  vg: VolumeGroup,
  poolName: string,
  subLv: (lvName: string) => MappedDevice,
): ThinPoolTarget {
  const pool = findLv(vg, poolName);
  const seg = thinPoolSegment(pool);
  if (pool === undefined || seg === undefined) throw new Error(`${vg.name}/${poolName} is not a thin pool`);
  const info = thinPoolInfo(seg);
  const data = subLv(info.dataLv);
  const target = new ThinPoolTarget(dmName(vg.name, poolName, "tpool"), {
    metadata: subLv(info.metadataLv),
    data,
    blockSizeSectors: info.chunkSizeSectors,
    lowWaterBlocks: lowWaterBlocks(
      Math.floor(data.sizeBytes / (info.chunkSizeSectors * SECTOR_BYTES)),
      thinAutoextend(host).thresholdPercent,
    ),
    zeroNewBlocks: info.zeroNewBlocks,
    discards: info.discards,
    errorIfNoSpace: pool.flags.includes("ERROR_WHEN_FULL"),
    trace: host.trace,
    mutations: host.mutations,
    activateNs: host.scheduler.nowNs,
    scheduler: host.scheduler,
  });
  if (target.mode === "fail") {
    throw new LvmCommandError(
      `Check of pool ${vg.name}/${poolName} failed (status:1). Manual repair required!`,
    );
  }
  // NEEDS_CHECK alone passes `thin_check -q` (LVM2's default options on this host): the pool
  // activates and the kernel keeps it read-only ("unable to switch pool to write mode until repaired").
  sendPoolMessages(host, vg, poolName, target);
  return target;
}

/**
 * `_thin_pool_node_send_messages`: nothing when the kernel already has the metadata's transaction;
 * the queued messages plus `set_transaction_id` when it is exactly one behind; otherwise the
 * activation fails with LVM2's "transaction_id is …, while expected …".
 */
export function sendPoolMessages(
  host: Host,
  vg: VolumeGroup,
  poolName: string,
  target: ThinPoolTarget,
): void {
  const info = thinPoolInfo(thinPoolSegment(findLv(vg, poolName)) as OtherSegment);
  const md = target.metadata;
  if (md === undefined) return;
  const kernelTid = md.transactionId;
  const tid = info.transactionId;
  if (tid === 0 && kernelTid === 0) return;
  if (kernelTid === tid) return;
  const tpool = dmName(vg.name, poolName, "tpool");
  if (info.messages.length > 0 && kernelTid + 1 === tid) {
    if (target.mode === "fail")
      throw new LvmCommandError(`Cannot send messages to thin pool ${tpool} in failed state.`);
    if (md.needsCheck)
      throw new LvmCommandError(`Cannot send messages to thin pool ${tpool} which needs check first.`);
    if (target.mode !== "write" && target.mode !== "out-of-data-space")
      throw new LvmCommandError(`Cannot send messages to thin pool ${tpool} with read only metadata.`);
  }
  if (info.messages.length === 0 || kernelTid + 1 !== tid) {
    throw new LvmCommandError(`Thin pool ${tpool} transaction_id is ${kernelTid}, while expected ${tid}.`);
  }
  const now = host.scheduler.nowNs;
  for (const message of info.messages) {
    if ("create" in message) {
      const lv = findLv(vg, message.create);
      const seg = thinSegment(lv);
      if (seg === undefined)
        throw new LvmCommandError(`Internal error: LV ${message.create} is not a thin volume.`);
      const thin = thinInfo(seg);
      const originSeg = thin.origin === undefined ? undefined : thinSegment(findLv(vg, thin.origin));
      const text =
        originSeg === undefined
          ? `create_thin ${thin.deviceId}`
          : `create_snap ${thin.deviceId} ${thinInfo(originSeg).deviceId}`;
      try {
        target.message(text, now);
      } catch (error) {
        // A power cut in the message's commit unwinds (never a command failure LVM2 could report).
        if (!(error instanceof ThinMessageError) && !isBlockDeviceError(error)) throw error;
        const code = (error as ThinMessageError).code;
        if (code === "EEXIST" && originSeg === undefined) continue;
        if (code === "EEXIST") {
          throw new LvmCommandError(
            `Thin pool ${tpool} already contain thin device with device_id ${thin.deviceId}.`,
          );
        }
        throw new LvmCommandError(
          `Failed to process thin pool message "${text}": ${(error as Error).message}`,
        );
      }
    } else {
      try {
        target.message(`delete ${message.delete}`, now);
      } catch (error) {
        if (!(error instanceof ThinMessageError) && !isBlockDeviceError(error)) throw error;
        if ((error as ThinMessageError).code !== "ENODATA") {
          throw new LvmCommandError(`Failed to process thin pool message "delete ${message.delete}".`);
        }
      }
    }
  }
  const setTid = `set_transaction_id ${tid - 1} ${tid}`;
  try {
    target.message(setTid, now);
  } catch (error) {
    // The pool may have gone read-only under the messages (a commit found its metadata full).
    if (!(error instanceof ThinMessageError) && !isBlockDeviceError(error)) throw error;
    throw new LvmCommandError(`Failed to process thin pool message "${setTid}".`);
  }
  if (md.transactionId !== tid) {
    throw new LvmCommandError(
      `Thin pool ${tpool} transaction_id is ${md.transactionId} and does not match expected ${tid}.`,
    );
  }
}
