import { describe, expect, it } from 'vitest';
import { costDrift, hasStrayRoundTrips, type Cost } from './cost-meter.js';

const cost = (dbRoundTrips: number, dbWriteTransactions = dbRoundTrips): Cost => ({
  engineCommits: 6,
  dbRoundTrips,
  dbTransactions: dbRoundTrips,
  dbWriteTransactions,
  rpcs: { StartWorkflowExecution: 1 },
});

describe('cost guard arithmetic', () => {
  it('calls a read that only some units paid stray, and one every unit paid a regression', () => {
    // Five workflows, 8 expected each: one background read in the window is 8.2 per workflow.
    expect(hasStrayRoundTrips(cost(8.2, 8), cost(8), 5)).toBe(true);
    expect(hasStrayRoundTrips(cost(8.8, 8), cost(8), 5)).toBe(true);
    // One more per workflow is not stray: the guard must fail it.
    expect(hasStrayRoundTrips(cost(9), cost(8), 5)).toBe(false);
    expect(costDrift(cost(9), cost(8))).not.toEqual([]);
    // Fewer (group commit joined two writes) is neither stray nor drift.
    expect(hasStrayRoundTrips(cost(7.8), cost(8), 5)).toBe(false);
    expect(costDrift(cost(7.8), cost(8))).toEqual([]);
    expect(hasStrayRoundTrips(cost(8), cost(8), 5)).toBe(false);
  });
});
