/** The dm-raid status a report needs, apart from the report code so the runtime interface can name it. */

/** The parts of the dm-raid status line reports use. */
export interface RaidRuntimeStatus {
  /** One health char per leg: A, a, D or -. */
  readonly health: string;
  readonly syncAction: string;
  readonly mismatchCount: number;
  readonly insyncRegions: number;
  readonly totalRegions: number;
}
