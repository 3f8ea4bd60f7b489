/** Chart colours: a fixed, colour-blind-safe sequence (Okabe–Ito), assigned in series order. */

const OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

/** Colour of the n-th series; wraps around after eight. */
export function seriesColor(index: number): string {
  return OKABE_ITO[((index % OKABE_ITO.length) + OKABE_ITO.length) % OKABE_ITO.length]!;
}

/** Colour of fault markers on timelines. */
export const FAULT_COLOR = "#C0392B";
