import type { z } from "zod";
import { formatIssuePath } from "../faults/schema.js";
import { type Scenario, type ScenarioInput, scenarioSchema } from "./schema.js";

/** A scenario failed validation; every issue names the field path, and the file when known. */
export class ScenarioError extends Error {
  override readonly name = "ScenarioError";

  constructor(
    readonly issues: readonly string[],
    readonly file?: string,
  ) {
    super(`${file === undefined ? "Invalid scenario" : `Invalid scenario ${file}`}: ${issues.join("; ")}`);
  }
}

/** Formats zod issues as `field.path: message`. */
export function scenarioIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = formatIssuePath(issue.path);
    return where === "" ? issue.message : `${where}: ${issue.message}`;
  });
}

/**
 * Declares a scenario, in the style of `Deno.test`: validates it at load time so that a typo
 * fails loudly with the field path instead of surfacing halfway through a nightly run.
 */
export function defineScenario(input: ScenarioInput, options: { file?: string } = {}): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (!result.success) throw new ScenarioError(scenarioIssues(result.error), options.file);
  return result.data;
}
