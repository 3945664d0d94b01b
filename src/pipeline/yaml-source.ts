/**
 * YAML files with their source positions kept, so that every later error (schema, reference,
 * cycle) can point at `file:line:col` of the value that caused it.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { DagUserError, type SourcePosition } from '../util/user-error.js';

export type YamlPath = ReadonlyArray<string | number>;

export class YamlSource {
  private constructor(
    /** Path as shown to the user (relative to the working directory when shorter). */
    readonly displayPath: string,
    readonly absPath: string,
    readonly value: unknown,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  static read(absPath: string): YamlSource {
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
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const display = displayPathOf(absPath);
    const first = doc.errors[0];
    if (first) {
      const pos = lines.linePos(first.pos[0]);
      const message = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new DagUserError(`invalid YAML: ${message}`, { file: display, line: pos.line, col: pos.col });
    }
    return new YamlSource(display, absPath, doc.toJS({ maxAliasCount: 1000 }), doc, lines);
  }

  /**
   * Position of the value at `path`, or of its key when `at` is 'key' (for "unknown field").
   * Falls back to the deepest existing ancestor, so a missing field points at its parent.
   */
  positionOf(path: YamlPath, at: 'value' | 'key' = 'value'): SourcePosition {
    let node: unknown = this.doc.contents;
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
    const { line, col } = this.lines.linePos(offset);
    return { file: this.displayPath, line, col };
  }

  error(message: string, path: YamlPath, at: 'value' | 'key' = 'value'): DagUserError {
    return new DagUserError(message, this.positionOf(path, at));
  }
}

export function displayPathOf(absPath: string): string {
  const rel = relative(process.cwd(), absPath);
  return rel && !rel.startsWith('..') ? rel : absPath;
}
