/** Terminal colour: plain ANSI, used only on a TTY and never when NO_COLOR is set. */

/** The few styles the terminal summary uses. */
export type Style = "bold" | "dim" | "red" | "green" | "yellow" | "cyan";

const CODES: Readonly<Record<Style, readonly [number, number]>> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** Applies a style, or returns the text unchanged when colour is off. */
export type Painter = (style: Style, text: string) => string;

/** A painter that emits ANSI escapes when `enabled`, else the identity. */
export function createPainter(enabled: boolean): Painter {
  if (!enabled) return (_style, text) => text;
  return (style, text) => {
    const [open, close] = CODES[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  };
}

/** Whether to colour a stream: only a TTY, and never with NO_COLOR set (https://no-color.org). */
export function shouldUseColor(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return stream.isTTY === true;
}
