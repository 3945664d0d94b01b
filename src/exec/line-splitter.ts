/** Splits a byte stream into lines for log events; a partial last line is flushed at the end. */
export class LineSplitter {
  private rest = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: Buffer | string): void {
    const text = this.rest + chunk.toString();
    const lines = text.split('\n');
    this.rest = lines.pop()!;
    for (const l of lines) this.onLine(l.replace(/\r$/, ''));
  }
  end(): void {
    if (this.rest) this.onLine(this.rest);
    this.rest = '';
  }
}
