import { MARK } from "./guest-init.js";

/**
 * Reads a child's output (the guest's console, or direct mode's `sh`) line by line as it arrives:
 * each line goes to `onRaw`, the last 40 are kept for error reports, and each line carrying
 * {@link MARK} goes, from the mark on, to `onMarked`.
 */
export function consoleLines(handlers: {
  readonly onRaw?: (raw: string) => void;
  readonly onMarked: (line: string) => void;
}): { readonly push: (text: string) => void; readonly end: () => void; readonly tail: string[] } {
  const tail: string[] = [];
  let pending = "";
  const push = (text: string): void => {
    pending += text;
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const raw = pending.slice(0, newline).replace(/\r/g, "");
      pending = pending.slice(newline + 1);
      tail.push(raw);
      if (tail.length > 40) tail.shift();
      handlers.onRaw?.(raw);
      const at = raw.indexOf(`${MARK} `);
      if (at >= 0) handlers.onMarked(raw.slice(at));
      newline = pending.indexOf("\n");
    }
  };
  return { push, end: () => (pending === "" ? undefined : push("\n")), tail };
}
