/** `--type linear|striped`: one allocation of `stripes` parallel areas (`lv_extend`). */
import { createLv } from "../../metadata/lv-alloc.js";
import { newUuid } from "../ids.js";
import type { LvCreateType } from "./segtype.js";

/** Linear and striped LVs. */
export const stripedType: LvCreateType = {
  name: "striped",
  create(context, request) {
    return createLv(request.vg, {
      makeId: () => newUuid(context.host),
      creationTime: context.host.nowSeconds(),
      creationHost: context.host.hostname,
      ...(request.name !== undefined ? { name: request.name } : {}),
      extents: request.extents,
      stripes: request.stripes,
      ...(request.stripeSizeSectors !== undefined ? { stripeSizeSectors: request.stripeSizeSectors } : {}),
      ...(request.policy !== undefined ? { policy: request.policy } : {}),
      ...(request.pvs !== undefined ? { pvs: request.pvs } : {}),
      ...(request.approx ? { approx: true } : {}),
      mutations: context.host.mutations,
    });
  },
};
