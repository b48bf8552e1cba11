import { describe, expect, it } from 'vitest';
import { buildIdSearchAttributeValue, nextBuildIds } from './build-ids.js';

describe('BuildIds search attribute (Temporal worker_versioning)', () => {
  it('names a stamp as Temporal does', () => {
    expect(buildIdSearchAttributeValue(null)).toBe('unversioned');
    expect(buildIdSearchAttributeValue({ buildId: 'b1' })).toBe('unversioned:b1');
    expect(buildIdSearchAttributeValue({ buildId: 'b1', useVersioning: true })).toBe('versioned:b1');
  });

  it('keeps the sentinel first for unversioned workers, adds each new id once, drops the sentinel when versioned', () => {
    expect(nextBuildIds([], null)).toEqual(['unversioned']);
    expect(nextBuildIds(['unversioned'], null)).toEqual(['unversioned']);
    expect(nextBuildIds(['unversioned'], { buildId: 'a' })).toEqual(['unversioned', 'unversioned:a']);
    expect(nextBuildIds(['unversioned', 'unversioned:a'], { buildId: 'a' })).toEqual(['unversioned', 'unversioned:a']);
    expect(nextBuildIds(['unversioned', 'unversioned:a'], { buildId: 'b', useVersioning: true })).toEqual(['unversioned:a', 'versioned:b']);
    expect(nextBuildIds(['assigned:x', 'versioned:b'], { buildId: 'b', useVersioning: true })).toEqual(['versioned:b']);
  });
});
