import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ContainerModule } from 'inversify';
import { describe, expect, it } from 'vitest';
import { CHASM_CORE_VERSION } from './core-version.js';
import { packageCoreRange, packageVersion } from './package-version.js';
import { definePlugin, isChasmPlugin } from './plugin.js';

const module = () => new ContainerModule(() => {});

describe('definePlugin', () => {
  it('fills defaults and is recognised', () => {
    const p = definePlugin({ name: 'my-plugin', version: '1.2.3', coreApi: '^0.1.0', module });
    expect(p).toMatchObject({ kind: 'chasmPlugin', requires: [], serves: [], routes: [] });
    expect(isChasmPlugin(p)).toBe(true);
    expect(isChasmPlugin({ name: 'my-plugin' })).toBe(false);
  });
  it('refuses a name that is not kebab-case', () => {
    expect(() => definePlugin({ name: 'MyPlugin', version: '1.0.0', coreApi: '*', module })).toThrow(/kebab-case/);
  });
});

describe('packageVersion and packageCoreRange', () => {
  const pkg = (json: object): string => {
    const dir = mkdtempSync(join(tmpdir(), 'chasm-pkg-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify(json));
    return pathToFileURL(join(dir, 'src', 'plugin.js')).href;
  };
  it('reads the version and the core range, peer dependency first', () => {
    const url = pkg({ version: '2.0.1', peerDependencies: { '@chasm/core': '^0.3.0' }, dependencies: { '@chasm/core': '0.1.0' } });
    expect(packageVersion(url)).toBe('2.0.1');
    expect(packageCoreRange(url)).toBe('^0.3.0');
  });
  it('reads workspace ranges as pnpm publishes them', () => {
    expect(packageCoreRange(pkg({ version: '1.0.0', dependencies: { '@chasm/core': 'workspace:^' } }))).toBe(`^${CHASM_CORE_VERSION}`);
    expect(packageCoreRange(pkg({ version: '1.0.0', dependencies: { '@chasm/core': 'workspace:*' } }))).toBe(CHASM_CORE_VERSION);
    expect(packageCoreRange(pkg({ version: '1.0.0', dependencies: { '@chasm/core': 'workspace:>=0.1.0' } }))).toBe('>=0.1.0');
  });
  it('refuses a package that does not depend on core', () => {
    expect(() => packageCoreRange(pkg({ version: '1.0.0' }))).toThrow(/declares no dependency on @chasm\/core/);
  });
});
