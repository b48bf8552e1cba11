import { z } from 'zod';

/** The plugin's settings (`settings.lease` in the server config), validated at start. */
export const leaseConfigSchema = z.strictObject({
  /** The longest lease a holder may ask for. */
  maxTtlMs: z.number().int().positive().default(60 * 60_000),
  /** The lease length when a request names none. */
  defaultTtlMs: z.number().int().positive().default(30_000),
});

export type LeaseConfig = Readonly<z.output<typeof leaseConfigSchema>>;
export const DEFAULT_LEASE_CONFIG: LeaseConfig = leaseConfigSchema.parse({});
