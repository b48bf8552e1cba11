import { NotFoundError, type NamespaceResolver } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NEXUS_CONFIG } from '../config.js';
import { decodePageToken, encodePageToken } from './page-token.js';
import { validateSpec } from './validate-spec.js';

const namespaces: NamespaceResolver = {
  idOf: async (name) => {
    if (name === 'default') return 'ns-1';
    throw new NotFoundError(`namespace ${name} not found`, { namespace: name });
  },
  nameOf: async () => 'default',
};

describe('validateSpec', () => {
  it.each(['ab', 'my-endpoint', 'Test-nexus-operation-1', 'A'.repeat(200)])('accepts the name %s', async (name) => {
    const spec = await validateSpec({ name, target: { worker: { namespace: 'default', taskQueue: 'tq' } } }, DEFAULT_NEXUS_CONFIG, namespaces);
    expect(spec).toEqual({ name, description: undefined, target: { kind: 'worker', namespaceId: 'ns-1', namespace: 'default', taskQueue: 'tq' } });
  });

  it('keeps an external URL as written', async () => {
    const url = 'https://nexus.example.com:8443/base/path?x=1';
    const spec = await validateSpec({ name: 'ext', target: { external: { url } } }, DEFAULT_NEXUS_CONFIG, namespaces);
    expect(spec.target).toEqual({ kind: 'external', url });
  });

  it('does not look the namespace up when the task queue is already bad', async () => {
    let lookups = 0;
    const counting: NamespaceResolver = { ...namespaces, idOf: async (n) => (lookups++, namespaces.idOf(n)) };
    await expect(validateSpec({ name: 'x1', target: { worker: { namespace: 'default', taskQueue: '' } } }, DEFAULT_NEXUS_CONFIG, counting)).rejects.toThrow(
      /^spec\.target\.worker\.task_queue: /,
    );
    expect(lookups).toBe(0);
  });
});

describe('page tokens', () => {
  it('round-trip the last name, and an empty token means the first page', () => {
    expect(decodePageToken(encodePageToken('page-b'))).toBe('page-b');
    expect(encodePageToken(undefined)).toHaveLength(0);
    expect(decodePageToken(new Uint8Array())).toBeUndefined();
  });

  it('refuse tokens this server did not write', () => {
    expect(() => decodePageToken(new TextEncoder().encode('{"x":1}'))).toThrow(/^next_page_token: /);
  });
});
