import { migrate, openDatabase } from '@chasm/core';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { describe, expect, it } from 'vitest';
import { nexusMigrations } from '../endpoints/migrations.js';
import { CallbackTokenSigner } from './callback-token.js';

const target = { namespaceId: 'ns-1', archetype: 'workflow.workflow', businessId: 'wf', runId: 'run', data: '{"s":5,"r":"req"}' };

describe.each(testDatabaseConfigs('nexus_secret'))('CallbackTokenSigner on $name', (db) => {
  it('verifies its own tokens across instances on one database (the secret is stored once), refuses altered ones', async () => {
    const opened = await db.open();
    const database = await openDatabase(opened.config);
    try {
      await migrate(database, nexusMigrations.table, nexusMigrations.migrations);
      const [a, b] = [new CallbackTokenSigner(database.db), new CallbackTokenSigner(database.db)];
      const [ta, tb] = await Promise.all([a.sign(target), b.sign(target)]);
      expect(ta).toBe(tb);
      // A signer created later (a restarted node) reads the same secret.
      expect(await new CallbackTokenSigner(database.db).verify(ta)).toEqual(target);
      const body = ta.slice(0, ta.lastIndexOf('.'));
      expect(await a.verify(body)).toBeUndefined();
      expect(await a.verify(`${body}.`)).toBeUndefined();
      expect(await a.verify(`${body}.${Buffer.alloc(32).toString('base64url')}`)).toBeUndefined();
      const retargeted = Buffer.from(JSON.stringify({ v: 1, n: 'ns-2', a: target.archetype, b: 'wf', r: 'run', d: target.data })).toString('base64url');
      expect(await a.verify(`${retargeted}.${ta.slice(ta.lastIndexOf('.') + 1)}`)).toBeUndefined();
      expect(await a.verify('garbage')).toBeUndefined();
    } finally {
      await database.close();
      await opened.drop();
    }
  });
});
