/** One `temporal.api.schedule.v1.Range`: end 0 or end < start means just `start`; step 0 means 1. */
export interface Range {
  start: number;
  end: number;
  step: number;
}

/** Calls `f` for every value a list of ranges covers (Temporal's iterateRanges). */
export function forEachRangeValue(ranges: readonly Range[], f: (v: number) => void): void {
  for (const r of ranges) {
    const step = r.step === 0 ? 1 : r.step;
    const end = r.end < r.start ? r.start : r.end;
    for (let v = r.start; v <= end; v += step) f(v);
  }
}

/** The display form Describe/List return: end = start when end < start, step = 1 when 0 (Temporal's CleanSpec). */
export function cleanRange(r: Range): Range {
  return { start: r.start, end: r.end < r.start ? r.start : r.end, step: r.step === 0 ? 1 : r.step };
}
