import { z } from 'zod';
import { DEFAULT_MATCHING_OPTIONS, type MatchingOptions } from './matching-options.js';

/**
 * The schema of `settings.matching`: every MatchingOptions field (matching-options.ts documents
 * each), a non-negative integer defaulting to Temporal's value.
 */
export const matchingConfigSchema = z.strictObject(
  Object.fromEntries(Object.entries(DEFAULT_MATCHING_OPTIONS).map(([k, v]) => [k, z.number().int().nonnegative().default(v)])) as {
    [K in keyof MatchingOptions]: z.ZodDefault<z.ZodNumber>;
  },
);
