/** Choosing classes for a dataset and telling the user which name they probably meant. */
import { NodeUserError } from '../exec/node-contract.js';
import { SeededRng } from './rng.js';
import { readUserFile } from './user-file.js';
import { editDistance } from '../util/did-you-mean.js';

export type ClassSelection =
  | string[]
  | { file: string }
  | { count: number; order?: 'alphabetical' | 'random'; seed?: number };

/** The closest known names to `name` (case-insensitive edit distance, then substring matches). */
export function closestNames(name: string, known: readonly string[], max = 3): string[] {
  const lower = name.toLowerCase();
  return known
    .map((k) => ({ k, d: editDistance(lower, k.toLowerCase()) - (k.toLowerCase().includes(lower) ? 2 : 0) }))
    .filter(({ d, k }) => d <= Math.max(2, Math.ceil(k.length / 3)))
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, max)
    .map(({ k }) => k);
}

export function unknownClassError(name: string, known: readonly string[], where: string): NodeUserError {
  const near = closestNames(name, known);
  const hint = near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : '';
  return new NodeUserError(`unknown class "${name}" in ${where}${hint}`);
}

export function readClassFile(file: string): string[] {
  return readUserFile(file, 'class list')
    .toString('utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

/** Resolves a selection against the classes a source offers; label i = position i in the result. */
export function selectClasses(selection: ClassSelection | undefined, available: readonly string[], where: string): string[] {
  let chosen: string[];
  let origin = where;
  if (selection === undefined) chosen = [...available].sort();
  else if (Array.isArray(selection)) chosen = selection;
  else if ('file' in selection) {
    chosen = readClassFile(selection.file);
    origin = selection.file;
  } else {
    if (selection.count > available.length) {
      throw new NodeUserError(`classes.count is ${selection.count} but ${where} has only ${available.length} classes`);
    }
    const sorted = [...available].sort();
    chosen = selection.order === 'random' ? new SeededRng(selection.seed ?? 0).shuffle(sorted) : sorted;
    chosen = chosen.slice(0, selection.count);
  }
  const known = new Set(available);
  for (const name of chosen) if (!known.has(name)) throw unknownClassError(name, available, origin);
  const seen = new Set<string>();
  for (const name of chosen) {
    if (seen.has(name)) throw new NodeUserError(`class "${name}" is listed twice in ${origin}`);
    seen.add(name);
  }
  if (chosen.length === 0) throw new NodeUserError(`no classes selected from ${origin}`);
  return chosen;
}
