import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonReporter } from '../../src/ui/json-reporter.js';
import type { RunEvent } from '../../src/exec/events.js';
import { CapturedOutput, loadFixture } from './streams.js';

test('--json writes each event as one JSON line that parses back to the same event', async () => {
  const events = loadFixture('failing-stage');
  const out = new CapturedOutput();
  const reporter = new JsonReporter({ out });
  for (const e of events) reporter.onEvent(e);
  await reporter.close();
  const lines = out.text.split('\n');
  assert.equal(lines.pop(), '', 'output ends with a newline');
  assert.equal(lines.length, events.length);
  const parsed = lines.map((l) => JSON.parse(l) as RunEvent);
  assert.deepEqual(parsed, events);
  // A multi-line error stays on one line of the stream.
  const failed = parsed.find((e) => e.type === 'stage-failed');
  assert.ok(failed && failed.type === 'stage-failed' && failed.error.includes('\n'));
});
