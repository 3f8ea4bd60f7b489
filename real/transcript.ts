import { MARK } from "./guest-init.js";

/**
 * Reads the guest's marked console lines back into steps (a command, its output lines, its exit
 * code) and events (`CUT`, `FAULT`, `PHASE`, `WRITES`, `SUM`, …). Steps are grouped by label, so
 * a background pvmove's lines interleaved with fio's still land in the right step.
 */

/** One command the guest ran. */
export interface GuestStep {
  readonly label: string;
  readonly command: string;
  readonly output: string[];
  /** Undefined when the boot ended (a power cut) before the command did. */
  exitCode?: number;
}

/** One marked event line: its keyword and the words after it. */
export interface GuestEvent {
  readonly kind: string;
  readonly text: string;
}

/** A boot's transcript. */
export interface Transcript {
  readonly steps: Map<string, GuestStep>;
  readonly events: GuestEvent[];
}

/** Parses the marked lines of one or more boots (later boots' labels replace earlier ones). */
export function parseTranscript(lines: readonly string[], into?: Transcript): Transcript {
  const transcript: Transcript = into ?? { steps: new Map(), events: [] };
  for (const line of lines) {
    if (!line.startsWith(`${MARK} `)) continue;
    const rest = line.slice(MARK.length + 1);
    const space = rest.indexOf(" ");
    const kind = space < 0 ? rest : rest.slice(0, space);
    const text = space < 0 ? "" : rest.slice(space + 1);
    if (kind === "CMD" || kind === "OUT" || kind === "EXIT") {
      const labelEnd = text.indexOf(" ");
      const label = labelEnd < 0 ? text : text.slice(0, labelEnd);
      const body = labelEnd < 0 ? "" : text.slice(labelEnd + 1);
      if (kind === "CMD") {
        transcript.steps.set(label, { label, command: body, output: [] });
        continue;
      }
      const step = transcript.steps.get(label);
      if (step === undefined) continue;
      if (kind === "OUT") step.output.push(body);
      else step.exitCode = Number(body);
      continue;
    }
    transcript.events.push({ kind, text });
  }
  return transcript;
}

/** The events of one kind. */
export function eventsOf(transcript: Transcript, kind: string): GuestEvent[] {
  return transcript.events.filter((e) => e.kind === kind);
}
