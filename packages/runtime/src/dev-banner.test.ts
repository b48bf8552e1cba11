import { describe, expect, it } from 'vitest';
import { devConfig } from './config/server-config.js';
import { describeStore, formatBanner } from './dev-banner.js';

describe('dev banner', () => {
  it('lists the bound addresses, namespaces and store, aligned', () => {
    const config = devConfig({ uiInstalled: true, namespaces: ['default', 'orders'], dataDir: '/var/chasm' });
    const banner = formatBanner({ config, grpcPort: 7233, httpPort: 7243, metricsPort: 40_001, uiPort: 8233 });
    expect(banner.split('\n')).toEqual([
      '',
      'CHASM dev server is ready',
      '  gRPC        127.0.0.1:7233',
      '  HTTP API    http://127.0.0.1:7243/api/v1/namespaces',
      '  Web UI      http://127.0.0.1:8233',
      '  Metrics     http://127.0.0.1:40001/metrics',
      '  Namespaces  default, orders',
      '  Store       PGlite in /var/chasm',
      '',
    ]);
  });

  it('leaves out what is off, and shows a wildcard host as loopback', () => {
    const config = devConfig({ host: '0.0.0.0', httpPort: null, metricsPort: null, tracesEndpoint: 'http://otel:4318/v1/traces' });
    const banner = formatBanner({ config, grpcPort: 7300, httpPort: undefined, metricsPort: undefined, uiPort: undefined });
    expect(banner).toContain('gRPC       127.0.0.1:7300');
    expect(banner).not.toMatch(/HTTP API|Metrics|Web UI/);
    expect(banner).toContain('Traces     OTLP to http://otel:4318/v1/traces');
  });

  it('never shows database credentials', () => {
    expect(describeStore({ kind: 'postgres', url: 'postgres://admin:s3cret@db.internal:5432/chasm?password=also' })).toBe('Postgres postgres://db.internal:5432/chasm');
    expect(describeStore({ kind: 'pglite' })).toMatch(/^PGlite in memory/);
  });
});
