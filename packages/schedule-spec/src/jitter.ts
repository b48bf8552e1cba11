import { fingerprint32 } from 'farmhash-modern';

/** Seconds from 0001-01-01T00:00:00Z to the Unix epoch (Go's unixToInternal). */
const UNIX_TO_GO_INTERNAL = 62_135_596_800n;

/**
 * Go's `time.Time.MarshalBinary` of a UTC time (15 bytes): version 1, int64 big-endian seconds
 * since 0001-01-01, int32 big-endian nanoseconds, int16 offset in minutes, -1 meaning UTC.
 */
export function goTimeMarshalBinaryUTC(ms: number): Uint8Array {
  const bytes = new Uint8Array(15);
  const view = new DataView(bytes.buffer);
  const seconds = Math.floor(ms / 1000);
  bytes[0] = 1;
  view.setBigInt64(1, BigInt(seconds) + UNIX_TO_GO_INTERNAL);
  view.setInt32(9, (ms - seconds * 1000) * 1_000_000);
  view.setInt16(13, -1);
  return bytes;
}

/** The jitter seed Temporal's scheduler uses: `<namespaceId>-<scheduleId>`. */
export function jitterSeed(namespaceId: string, scheduleId: string): string {
  return `${namespaceId}-${scheduleId}`;
}

const MAX_UINT32 = 0xffff_ffff;

/**
 * Deterministic jitter in milliseconds, in [0, maxJitterMs): farmFingerprint32 of the nominal
 * time's Go binary form followed by the seed's UTF-8 bytes, scaled by `(fp · maxMs) >> 32`.
 */
export function jitterMs(nominalMs: number, seed: string, maxJitterMs: number): number {
  let max = Math.trunc(Math.max(0, maxJitterMs));
  if (max > MAX_UINT32) max = MAX_UINT32;
  if (max === 0) return 0;
  const time = goTimeMarshalBinaryUTC(nominalMs);
  const seedBytes = new TextEncoder().encode(seed);
  const input = new Uint8Array(time.length + seedBytes.length);
  input.set(time);
  input.set(seedBytes, time.length);
  const fp = BigInt(fingerprint32(input) >>> 0);
  return Number((fp * BigInt(max)) >> 32n);
}
