/** `--type mirror -m N`: N+1 images with a disk (or core) log, allocated in one request. */
import { createLv } from "../../metadata/lv-alloc.js";
import { newUuid } from "../ids.js";
import type { LvCreateType } from "./segtype.js";

/** Old-style dm-mirror LVs. */
export const mirrorType: LvCreateType = {
  name: "mirror",
  create(context, request) {
    return createLv(request.vg, {
      makeId: () => newUuid(context.host),
      creationTime: context.host.nowSeconds(),
      creationHost: context.host.hostname,
      ...(request.name !== undefined ? { name: request.name } : {}),
      extents: request.extents,
      stripes: request.stripes,
      mirrors: request.mirrors,
      mirrorLog: request.mirrorLog ?? "disk",
      ...(request.regionSizeSectors !== undefined ? { regionSizeSectors: request.regionSizeSectors } : {}),
      ...(request.policy !== undefined ? { policy: request.policy } : {}),
      ...(request.pvs !== undefined ? { pvs: request.pvs } : {}),
      ...(request.approx ? { approx: true } : {}),
      ...(request.nosync ? { extraStatus: ["NOTSYNCED"] } : {}),
    });
  },
};
