import { InvalidArgumentError, NotFoundError, type Engine, type HttpRoute, type NamespaceResolver } from '@chasm/core';
import { z } from 'zod';
import type { LeaseConfig } from '../config.js';
import { acquireLease, releaseLease } from '../lease/lease-ops.js';
import { Lease, newLeaseState, type LeaseState } from '../lease/lease.js';

export interface LeaseRouteDeps {
  readonly engine: Engine;
  readonly namespaces: NamespaceResolver;
  readonly config: LeaseConfig;
}

const PATH = '/api/v1/namespaces/:namespace/leases/:name';
export const LEASE_ROUTES = [`PUT ${PATH}`, `GET ${PATH}`, `DELETE ${PATH}`] as const;

const holder = z.string().min(1).max(255);
const name = z.string().min(1).max(255).regex(/^[^\u0000-\u001f]+$/, 'control characters are not allowed');

/** Validates one value, turning a zod failure into INVALID_ARGUMENT naming the field. */
function valid<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new InvalidArgumentError(field, r.error.issues[0]?.message ?? 'is invalid');
  return r.data;
}

const view = (s: LeaseState) => ({
  name: s.name,
  status: s.status,
  holder: s.holder,
  expiresAt: s.expiresAt === null ? null : new Date(s.expiresAt).toISOString(),
  grants: s.grants,
});

/**
 * The lease HTTP API:
 *   PUT    …/leases/:name  { holder, ttlMs? }  acquire, or renew when `holder` holds it (409 if another does)
 *   GET    …/leases/:name                      the lease (404 if it was never acquired)
 *   DELETE …/leases/:name?holder=h             release (409 if another holds it; a free lease is a no-op)
 */
export function leaseRoutes(deps: LeaseRouteDeps): HttpRoute[] {
  const target = async (params: Readonly<Record<string, string>>) => ({
    type: Lease,
    namespaceId: await deps.namespaces.idOf(valid(z.string().min(1), params['namespace'], 'namespace')),
    businessId: valid(name, params['name'], 'name'),
  });
  const body = z.strictObject({ holder, ttlMs: z.number().int().positive().max(deps.config.maxTtlMs).optional() });
  return [
    {
      method: 'PUT',
      path: PATH,
      async handle(req) {
        const t = await target(req.params);
        const parsed = body.safeParse(req.body ?? {});
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new InvalidArgumentError(String(issue?.path[0] ?? 'body'), issue?.message ?? 'is invalid');
        }
        const grant = { holder: parsed.data.holder, ttlMs: parsed.data.ttlMs ?? deps.config.defaultTtlMs };
        const r = await deps.engine.updateWithStart(
          Lease,
          t,
          { init: () => newLeaseState(t.businessId), requestId: `lease-${t.businessId}` },
          (l, ctx) => acquireLease(l, ctx, grant),
        );
        return { status: 200, body: view(r.output) };
      },
    },
    {
      method: 'GET',
      path: PATH,
      async handle(req) {
        const t = await target(req.params);
        try {
          return { status: 200, body: await deps.engine.read(t, (l) => view(l.state)) };
        } catch (e) {
          if (e instanceof NotFoundError) throw new NotFoundError(`lease '${t.businessId}' was never acquired`);
          throw e;
        }
      },
    },
    {
      method: 'DELETE',
      path: PATH,
      async handle(req) {
        const t = await target(req.params);
        const h = valid(holder, req.query.get('holder') ?? undefined, 'holder');
        try {
          await deps.engine.update(t, (l, ctx) => releaseLease(l, ctx, h));
        } catch (e) {
          if (!(e instanceof NotFoundError)) throw e;
        }
        return { status: 204 };
      },
    },
  ];
}
