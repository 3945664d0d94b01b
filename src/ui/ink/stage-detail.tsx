/** The selected stage in full: progress, devices and live metrics, or its error; then its log. */
import { Box, Text } from 'ink';
import { formatDuration, formatMetricValue, sparkline } from '../format.js';
import { LIVE_METRICS, findMetric, metricsText } from '../metric-names.js';
import { describeProgress, stageEtaMs } from '../progress.js';
import type { RunState, StageView } from '../run-state.js';
import { devicesText } from './stage-row.js';

/** Lines the pane takes besides the log: title and two facts. */
export const DETAIL_LINES = 3;

function facts(stage: StageView, now: number): [string, string] {
  switch (stage.state) {
    case 'running': {
      const progress = stage.progress ? describeProgress(stage.progress) : 'no progress reported';
      const eta = stageEtaMs(stage, now);
      const elapsed = stage.startedAt !== undefined ? formatDuration(now - stage.startedAt) : '—';
      const first = `${progress}  elapsed ${elapsed}  ETA ${eta === undefined ? '—' : formatDuration(eta)}  ${devicesText(stage)}${stage.pid ? `  pid ${stage.pid}` : ''}`;
      const metrics = LIVE_METRICS.flatMap((m) => {
        const found = findMetric(stage.metrics, m.names);
        if (!found) return [];
        const spark = m.label === 'loss' ? ` ${sparkline(stage.lossHistory.slice(-60), 24)}` : '';
        return [`${m.label} ${formatMetricValue(found.value)}${spark}`];
      });
      return [first, metrics.join('   ') || 'no metrics yet'];
    }
    case 'failed': {
      const lines = (stage.error ?? '').split('\n').filter((l) => l.trim() !== '');
      return [lines[0] ?? 'failed', lines[1] ?? ''];
    }
    case 'done':
      return [`ran in ${formatDuration(stage.durationMs ?? 0)}  ${devicesText(stage)}`, metricsText(stage.metrics, 6)];
    case 'cached':
      return [`cache hit ${stage.key?.slice(0, 12) ?? ''}, saved ${formatDuration(stage.savedMs ?? 0)}`, metricsText(stage.metrics, 6)];
    case 'skipped':
      return [`skipped: ${stage.skipReason ?? ''}`, ''];
    case 'queued':
    case 'waiting':
      return [stage.reasons.join('; ') || stage.state, ''];
  }
}

export function StageDetail(props: { run: RunState; stage: StageView; now: number; logLines: number }) {
  const { run, stage, now, logLines } = props;
  const needs = stage.needs.length > 0 ? ` · needs ${stage.needs.join(', ')}` : '';
  const [first, second] = facts(stage, now);
  const log = logLines > 0 ? run.logTail(stage.id, logLines) : [];
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end" bold>
        ── {stage.id} <Text dimColor>· {stage.kind}{needs}</Text>
      </Text>
      <Text wrap="truncate-end">{first}</Text>
      <Text wrap="truncate-end">{second}</Text>
      {logLines > 0 && log.length === 0 ? <Text dimColor>│ (no log lines)</Text> : null}
      {log.map((l, i) => (
        <Text key={i} wrap="truncate-end" color={l.stream === 'stderr' ? 'red' : undefined} dimColor={l.stream !== 'stderr'}>
          │ {l.line}
        </Text>
      ))}
    </Box>
  );
}
