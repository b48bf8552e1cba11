import { readFileSync } from 'node:fs';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS, DEV_PACKAGES } from '../src/catalogue.js';

/**
 * The Grafana dashboard (docs/grafana/chasm-server.json) must not rot: every metric its
 * queries name is registered by a server with the dev packages, scraped from its /metrics.
 */
const dashboard = JSON.parse(readFileSync(new URL('../../../docs/grafana/chasm-server.json', import.meta.url), 'utf8')) as {
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
};

const PROMQL_WORDS = new Set(['sum', 'by', 'without', 'rate', 'irate', 'increase', 'histogram_quantile', 'avg', 'max', 'min', 'count', 'topk', 'le', 'on', 'ignoring', 'and', 'or', 'unless']);

/** The metric names a PromQL expression reads: label matchers, ranges and grouping lists removed. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((w) => !PROMQL_WORDS.has(w) && !/^\d/.test(w));
}

describe('Grafana dashboard', () => {
  let server: TestServer;
  let registered: Set<string>;

  beforeAll(async () => {
    server = await startTestServer({ packages: DEV_PACKAGES, catalogue: BUILTIN_PLUGINS, metricsPort: 0, httpPort: 0 });
    const text = await (await fetch(`http://127.0.0.1:${server.metricsPort!}/metrics`)).text();
    registered = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!])));
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('parses its own queries', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le, operation) (rate(service_latency_bucket{operation!~"Poll.*"}[$__rate_interval])))')).toEqual(['service_latency_bucket']);
    expect(metricNames('sum(rate(a_total[5m])) / sum(rate(b_total[5m]))')).toEqual(['a_total', 'b_total']);
  });

  it('queries only metrics a started server registers', () => {
    const queried = new Map<string, string>();
    for (const panel of dashboard.panels) for (const t of panel.targets ?? []) for (const name of metricNames(t.expr)) queried.set(name, panel.title);
    expect(queried.size).toBeGreaterThan(20);
    const missing = [...queried].filter(([name]) => !registered.has(name)).map(([name, panel]) => `${name} (panel '${panel}')`);
    expect(missing).toEqual([]);
  });
});
