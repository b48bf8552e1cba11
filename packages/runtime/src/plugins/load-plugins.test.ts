import { definePlugin, type AnyChasmPlugin } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { loadPlugins, type PluginLoader } from './load-plugins.js';
import { PluginSetError } from './plugin-errors.js';

const plugin = (name: string): AnyChasmPlugin =>
  definePlugin({
    name,
    version: '0.0.0',
    coreApi: '*',
    module: () => {
      throw new Error('not used: loadPlugins only imports');
    },
  });
/** `value()` after `ms`: its result, or its exception as a rejection. */
const after = <T>(ms: number, value: () => T): Promise<T> =>
  new Promise((resolve, reject) =>
    setTimeout(() => {
      try {
        resolve(value());
      } catch (e) {
        reject(e as Error);
      }
    }, ms),
  );

describe('loadPlugins (ADR 0054: imports at once)', () => {
  it('starts every import before any has finished and returns them in config order', async () => {
    const started: string[] = [];
    const loader = (name: string, ms: number): PluginLoader => () => {
      started.push(name);
      return after(ms, () => {
        started.push(`done ${name}`);
        return plugin(name);
      });
    };
    const loaded = await loadPlugins(['slow', 'fast', 'slow', 'core', 'middle'], { slow: loader('slow', 60), fast: loader('fast', 1), middle: loader('middle', 20) });
    expect(loaded.map((p) => p.name)).toEqual(['slow', 'fast', 'middle']);
    // Loaded one after another, 'done slow' would come before 'fast'.
    expect(started).toEqual(['slow', 'fast', 'middle', 'done fast', 'done middle', 'done slow']);
  });

  it('throws the first failure in config order, after every import settled', async () => {
    let lastSettled = false;
    const failing = loadPlugins(['ok', 'late-bad', 'early-bad', 'slow-ok'], {
      ok: async () => plugin('ok'),
      'late-bad': () =>
        after(30, () => {
          throw new PluginSetError('late-bad failed');
        }),
      'early-bad': () =>
        after(1, () => {
          throw new PluginSetError('early-bad failed');
        }),
      'slow-ok': () =>
        after(60, () => {
          lastSettled = true;
          return plugin('slow-ok');
        }),
    });
    await expect(failing).rejects.toThrow('late-bad failed');
    expect(lastSettled).toBe(true);
  });
});
