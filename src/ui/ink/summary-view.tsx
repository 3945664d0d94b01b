/** The end-of-run summary in colour; the same lines the plain logger prints. */
import { Box, Text } from 'ink';
import type { RunState } from '../run-state.js';
import { summarizeRun, summaryLines, type SummaryTone } from '../summary.js';

const TONE: Record<SummaryTone, { color?: string; bold?: boolean; dimColor?: boolean }> = {
  title: { bold: true },
  ok: { color: 'green', bold: true },
  bad: { color: 'red', bold: true },
  warn: { color: 'yellow' },
  dim: { dimColor: true },
  plain: {},
};

export function SummaryView(props: { run: RunState }) {
  const lines = summaryLines(summarizeRun(props.run));
  return (
    <Box flexDirection="column">
      <Text dimColor>
        dag run {props.run.runId} · {props.run.pipeline}
      </Text>
      {lines.map((l, i) => (
        <Text key={i} {...TONE[l.tone]}>
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
