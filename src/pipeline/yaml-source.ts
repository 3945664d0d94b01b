/**
 * YAML files with their source positions kept, so that every later error (schema, reference,
 * cycle) can point at `file:line:col` of the value that caused it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { DagUserError, type SourcePosition } from '../util/user-error.js';
import { witness } from '../exec/read-witness.js';

/**
 * Where parsed YAML values are kept by content digest. Parsing a 1,000-stage file with positions
 * costs most of a `dag status`; the positioned document is only needed to report an error, so a
 * file seen before is read back as JSON and re-parsed only if something about it must be reported.
 */
let parseCacheDir: string | undefined;
export function setYamlParseCache(dir: string | undefined): void {
  parseCacheDir = dir;
}
/** Bumped when what is stored changes (or the yaml package's reading of a file could). */
const PARSE_CACHE_VERSION = 'yaml2-v1';

function cacheFile(text: string): string | undefined {
  if (!parseCacheDir) return undefined;
  const digest = createHash('sha256').update(PARSE_CACHE_VERSION).update('\0').update(text).digest('hex');
  return join(parseCacheDir, digest.slice(0, 2), `${digest.slice(2)}.json`);
}

/** JSON keeps exactly what YAML gave (no dates, binary, maps or non-finite numbers). */
function jsonSafe(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(jsonSafe);
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v as object).every(jsonSafe);
  return false;
}

export type YamlPath = ReadonlyArray<string | number>;

export class YamlSource {
  private parsed: { doc: Document.Parsed; lines: LineCounter } | undefined;

  private constructor(
    /** Path as shown to the user (relative to the working directory when shorter). */
    readonly displayPath: string,
    readonly absPath: string,
    readonly value: unknown,
    private readonly text: string,
  ) {}

  static read(absPath: string): YamlSource {
    witness(absPath);
    let text: string;
    try {
      text = readFileSync(absPath, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new DagUserError(code === 'ENOENT' ? `file not found: ${displayPathOf(absPath)}` : `cannot read ${displayPathOf(absPath)}: ${(err as Error).message}`);
    }
    return YamlSource.parse(absPath, text);
  }

  static parse(absPath: string, text: string): YamlSource {
    const display = displayPathOf(absPath);
    const cached = cacheFile(text);
    if (cached) {
      try {
        return new YamlSource(display, absPath, JSON.parse(readFileSync(cached, 'utf8')), text);
      } catch {
        /* not cached yet, or unreadable: parse */
      }
    }
    const { doc, lines } = parseWithPositions(text);
    const first = doc.errors[0];
    if (first) {
      const pos = lines.linePos(first.pos[0]);
      const message = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new DagUserError(`invalid YAML: ${message}`, { file: display, line: pos.line, col: pos.col });
    }
    const value = doc.toJS({ maxAliasCount: 1000 });
    if (cached && jsonSafe(value)) {
      try {
        mkdirSync(join(cached, '..'), { recursive: true });
        const tmp = `${cached}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(value));
        renameSync(tmp, cached);
      } catch {
        /* a read-only cache only costs the next parse */
      }
    }
    const source = new YamlSource(display, absPath, value, text);
    source.parsed = { doc, lines };
    return source;
  }

  private document(): { doc: Document.Parsed; lines: LineCounter } {
    this.parsed ??= parseWithPositions(this.text);
    return this.parsed;
  }

  /**
   * Position of the value at `path`, or of its key when `at` is 'key' (for "unknown field").
   * Falls back to the deepest existing ancestor, so a missing field points at its parent.
   */
  positionOf(path: YamlPath, at: 'value' | 'key' = 'value'): SourcePosition {
    const { doc, lines } = this.document();
    let node: unknown = doc.contents;
    let offset = (node as Node | null)?.range?.[0] ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
        if (!pair) break;
        const keyNode = pair.key as Node | null;
        if (last && at === 'key' && keyNode?.range) {
          offset = keyNode.range[0];
          break;
        }
        node = pair.value;
        offset = (pair.value as Node | null)?.range?.[0] ?? keyNode?.range?.[0] ?? offset;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item) break;
        node = item;
        offset = item.range?.[0] ?? offset;
      } else {
        break;
      }
    }
    const { line, col } = lines.linePos(offset);
    return { file: this.displayPath, line, col };
  }

  error(message: string, path: YamlPath, at: 'value' | 'key' = 'value'): DagUserError {
    return new DagUserError(message, this.positionOf(path, at));
  }
}

function parseWithPositions(text: string): { doc: Document.Parsed; lines: LineCounter } {
  const lines = new LineCounter();
  return { doc: parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true }), lines };
}

export function displayPathOf(absPath: string): string {
  const rel = relative(process.cwd(), absPath);
  return rel && !rel.startsWith('..') ? rel : absPath;
}
