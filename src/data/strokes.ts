/**
 * Google's simplified stroke files: one JSON drawing per line (`word`, `key_id`, `recognized`,
 * `drawing` = `[[xs], [ys]]` per stroke), plain `.ndjson` or gzipped `.ndjson.gz`.
 */
import { gunzipSync } from 'node:zlib';
import { NodeUserError } from '../exec/node-contract.js';
import type { Drawing, Stroke } from './render.js';
import { readUserFile } from './user-file.js';

export interface StrokeRecord {
  drawing: Drawing;
  word?: string;
  keyId?: string;
  recognized?: boolean;
}

export function readNdjsonText(file: string): string {
  let bytes = readUserFile(file);
  if (file.endsWith('.gz') || (bytes[0] === 0x1f && bytes[1] === 0x8b)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new NodeUserError(`${file}: not a valid gzip file (${(e as Error).message})`);
    }
  }
  return bytes.toString('utf8');
}

/**
 * Parses up to `limit` drawings (all when undefined). A line that is not a complete drawing — a
 * file cut off mid-line is the usual cause — is an error naming the file and 1-based line.
 */
export function parseStrokeLines(text: string, source: string, limit = Infinity): StrokeRecord[] {
  const records: StrokeRecord[] = [];
  let pos = 0;
  let lineNo = 0;
  while (pos < text.length && records.length < limit) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end).trim();
    pos = end + 1;
    lineNo++;
    if (line.length === 0) continue;
    records.push(parseStrokeLine(line, source, lineNo));
  }
  return records;
}

function parseStrokeLine(line: string, source: string, lineNo: number): StrokeRecord {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (e) {
    throw new NodeUserError(`${source}:${lineNo}: not a complete JSON drawing (${(e as Error).message}); is the file truncated?`);
  }
  const drawing = (obj as { drawing?: unknown } | null)?.drawing;
  if (!isDrawing(drawing)) {
    throw new NodeUserError(`${source}:${lineNo}: "drawing" must be a list of strokes [[x0,x1,…],[y0,y1,…]]`);
  }
  const rec = obj as { word?: unknown; key_id?: unknown; recognized?: unknown };
  return {
    drawing,
    word: typeof rec.word === 'string' ? rec.word : undefined,
    keyId: typeof rec.key_id === 'string' ? rec.key_id : undefined,
    recognized: typeof rec.recognized === 'boolean' ? rec.recognized : undefined,
  };
}

function isDrawing(value: unknown): value is Drawing {
  if (!Array.isArray(value)) return false;
  return value.every(
    (s): s is Stroke =>
      Array.isArray(s) &&
      s.length >= 2 &&
      Array.isArray(s[0]) &&
      Array.isArray(s[1]) &&
      s[0].length === s[1].length &&
      s[0].every((v: unknown) => typeof v === 'number' && Number.isFinite(v)) &&
      s[1].every((v: unknown) => typeof v === 'number' && Number.isFinite(v)),
  );
}

export function readStrokeFile(file: string, limit?: number): StrokeRecord[] {
  return parseStrokeLines(readNdjsonText(file), file, limit);
}
