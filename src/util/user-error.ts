/**
 * Errors a user can cause (bad YAML, unknown node, cycle, missing file, bad param). The CLI prints
 * them as one line — `file:line:col: message` — and exits 2; anything else is a bug and may show a
 * stack trace.
 */
export interface SourcePosition {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

export class DagUserError extends Error {
  override name = 'DagUserError';
  constructor(
    message: string,
    readonly position?: SourcePosition,
    /** Extra lines shown under the message (e.g. the offending source line). */
    readonly detail?: string,
  ) {
    super(message);
  }

  format(): string {
    const where = this.position ? `${this.position.file}:${this.position.line}:${this.position.col}: ` : '';
    return `${where}error: ${this.message}${this.detail ? `\n${this.detail}` : ''}`;
  }
}

export function isUserError(err: unknown): err is Error {
  return err instanceof DagUserError || (err instanceof Error && err.name === 'NodeUserError');
}
