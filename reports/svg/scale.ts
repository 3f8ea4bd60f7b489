/** Linear and logarithmic scales with tick choice, for the hand-written SVG charts. */

/** Maps a data value to a pixel coordinate. */
export interface Scale {
  (value: number): number;
  readonly ticks: readonly number[];
}

/** A "nice" step (1, 2 or 5 × 10^k) that splits `span` into about `count` parts. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** Linear scale from [0 or min, max rounded up to a nice tick] onto [rangeFrom, rangeTo]. */
export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
  options: { tickCount?: number } = {},
): Scale {
  const [low, high] = domain;
  const step = niceStep(high - low || Math.abs(high) || 1, options.tickCount ?? 5);
  const start = Math.floor(low / step) * step;
  const end = Math.max(Math.ceil(high / step) * step, start + step);
  const ticks: number[] = [];
  // At most 50 ticks whatever the domain: a chart never needs more.
  for (let i = 0; i <= 50; i++) {
    const tick = start + i * step;
    if (tick > end + step / 1e6) break;
    ticks.push(Number(tick.toPrecision(12)));
  }
  const [from, to] = range;
  const scale = ((value: number) => from + ((value - start) / (end - start)) * (to - from)) as Scale;
  return Object.assign(scale, { ticks });
}

/** Log10 scale over whole decades covering [min, max] (both must be positive). */
export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [low, high] = domain;
  if (!(low > 0 && high > 0))
    throw new RangeError(`Log scale needs a positive domain, got [${low}, ${high}]`);
  const lowDecade = Math.floor(Math.log10(low));
  const highDecade = Math.max(Math.ceil(Math.log10(high)), lowDecade + 1);
  const ticks: number[] = [];
  for (let d = lowDecade; d <= highDecade && ticks.length <= 30; d++) ticks.push(10 ** d);
  const [from, to] = range;
  const scale = ((value: number) =>
    from +
    ((Math.log10(Math.max(value, 10 ** lowDecade)) - lowDecade) / (highDecade - lowDecade)) *
      (to - from)) as Scale;
  return Object.assign(scale, { ticks });
}
