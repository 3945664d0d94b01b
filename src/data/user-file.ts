import { readFileSync } from 'node:fs';
import { NodeUserError } from '../exec/node-contract.js';

/** The error message for a file the user named that cannot be opened: file and errno code only. */
export function cannotRead(file: string, error: unknown, what = ''): NodeUserError {
  return new NodeUserError(`${file}: cannot read${what ? ` ${what}` : ''} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
}

/** Reads a file the user named; a missing or unreadable file is a user error, not a stack trace. */
export function readUserFile(file: string, what = ''): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw cannotRead(file, e, what);
  }
}
