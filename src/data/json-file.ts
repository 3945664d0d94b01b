/** JSON files of artifacts: read with an error naming the file, written atomically and readably. */
import { NodeUserError } from '../exec/node-contract.js';
import { writeFileAtomic } from '../cache/atomic.js';
import { readUserFile } from './user-file.js';

export function readJsonFile<T = unknown>(file: string): T {
  const text = readUserFile(file).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new NodeUserError(`${file}: invalid JSON (${(e as Error).message})`);
  }
}

export function writeJsonFile(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}
