/** SHA-256 digests and canonical JSON: the only hashing the cache and keys use. */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';

/** Hex SHA-256 of a content blob or tree object. */
export type ArtifactDigest = string;

export function sha256(data: string | Uint8Array): ArtifactDigest {
  return createHash('sha256').update(data).digest('hex');
}

/** Files up to this size are read in one call: a stream costs more than the read for small files. */
export const SMALL_FILE_BYTES = 1 << 20;

export function sha256File(path: string, knownSize?: number): Promise<{ digest: ArtifactDigest; size: number }> {
  if (knownSize !== undefined && knownSize <= SMALL_FILE_BYTES) {
    try {
      const bytes = readFileSync(path);
      return Promise.resolve({ digest: sha256(bytes), size: bytes.length });
    } catch (err) {
      return Promise.reject(err);
    }
  }
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let size = 0;
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => {
        size += (chunk as Buffer).length;
        h.update(chunk);
      })
      .on('error', reject)
      .on('end', () => resolve({ digest: h.digest('hex'), size }));
  });
}

/**
 * JSON with object keys sorted at every level and no whitespace: the same value always gives the
 * same bytes, whatever order a YAML file or a merge produced its keys in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`cannot key a non-finite number: ${value}`);
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
