import { describe, expect, it } from 'vitest';
import { MAX_RESET_POINTS, recordResetPoint, resetPointsProto } from './reset-points.js';
import type { WorkflowState } from './workflow.js';

const state = (): WorkflowState => ({ runId: 'run-1', children: {} }) as unknown as WorkflowState;

describe('reset points', () => {
  it('records one point per <binary checksum, build id> pair, the first task completed with it', () => {
    const s = state();
    recordResetPoint(s, { binaryChecksum: 'b1' }, 4, 1000);
    recordResetPoint(s, { binaryChecksum: 'b1' }, 10, 2000);
    recordResetPoint(s, { binaryChecksum: 'b1', workerVersion: { buildId: 'v2' } }, 16, 3000);
    recordResetPoint(s, { binaryChecksum: 'b2' }, 22, 4000);
    expect(s.autoResetPoints!.map((p) => [p.binaryChecksum, p.buildId, p.firstWorkflowTaskCompletedId])).toEqual([
      ['b1', '', 4],
      ['b1', 'v2', 16],
      ['b2', '', 22],
    ]);
    expect(resetPointsProto(s).points![0]).toMatchObject({ binaryChecksum: 'b1', runId: 'run-1', resettable: true, createTime: { seconds: expect.anything() } });
  });

  it('keeps the newest MAX_RESET_POINTS', () => {
    const s = state();
    for (let i = 0; i < MAX_RESET_POINTS + 3; i++) recordResetPoint(s, { binaryChecksum: `b${i}` }, 4 + i * 6, i);
    expect(s.autoResetPoints).toHaveLength(MAX_RESET_POINTS);
    expect(s.autoResetPoints![0]!.binaryChecksum).toBe('b3');
  });

  it('a point taken while a child is pending is not resettable', () => {
    const s = state();
    s.children = { '5': { status: 'started' } as WorkflowState['children'][string] };
    recordResetPoint(s, { binaryChecksum: 'b1' }, 4, 0);
    expect(s.autoResetPoints![0]!.resettable).toBe(false);
  });
});
