/**
 * Deliberate bugs the engine can be built with, so the test suite and `lvmlab mutants` can prove
 * that they catch a broken engine. Production runs pass no mutations. Each module that honours a
 * mutation declares its name as an exported constant next to the code it breaks, so the mutant
 * catalogue can be assembled from the engine without a central list to keep in sync.
 */

/** The set of active mutation names; empty in every normal run. */
export type Mutations = ReadonlySet<string>;

/** No mutations: the real engine. */
export const NO_MUTATIONS: Mutations = new Set<string>();

/** A mutation's name and what it breaks, for the mutant catalogue. */
export interface MutationInfo {
  readonly name: string;
  readonly description: string;
}
