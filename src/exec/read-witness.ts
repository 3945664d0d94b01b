/**
 * Records the file-system facts a computation read (a file's stat signature, or its absence), so
 * that its result can be reused while every fact still holds. `status` uses it to skip re-planning
 * an unchanged pipeline (see plan-snapshot.ts): the fastest work is the work not redone.
 */
import { statSync } from 'node:fs';

/** `ino:size:mtime:ctime`, or null for a path that did not exist. */
export type StatSignature = string | null;

export function statSignature(path: string): StatSignature {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return null;
  }
}

let active: Map<string, StatSignature> | undefined;

/** Starts recording; returns the facts read until `stopWitnessing`. */
export function startWitnessing(): Map<string, StatSignature> {
  active = new Map();
  return active;
}

export function stopWitnessing(): void {
  active = undefined;
}

/** Called by every reader whose result the plan depends on. Cheap when nothing is recording. */
export function witness(path: string): void {
  if (active && !active.has(path)) active.set(path, statSignature(path));
}

/** True when every recorded fact still holds. */
export function witnessesHold(facts: [string, StatSignature][]): boolean {
  for (const [path, sig] of facts) if (statSignature(path) !== sig) return false;
  return true;
}
