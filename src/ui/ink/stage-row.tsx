/** One line of the stage list: state, and what matters for that state (progress, time, error). */
import { Text } from 'ink';
import { formatDuration, formatMetricValue, percent, progressBar, sparkline } from '../format.js';
import { headlineMetric, LOSS_NAMES, findMetric } from '../metric-names.js';
import { describeProgress, progressFraction, stageEtaMs } from '../progress.js';
import type { StageView } from '../run-state.js';
import { STATE_LOOK } from './theme.js';

export const MAX_INDENT = 3;

export function devicesText(stage: StageView): string {
  const gpu = stage.gpuIds.length > 0 ? ` · gpu ${stage.gpuIds.join(',')}` : '';
  return `cpu ${stage.cpuSlots}${gpu}`;
}

function detail(stage: StageView, now: number): string {
  switch (stage.state) {
    case 'running': {
      const parts: string[] = [];
      if (stage.progress) {
        const f = progressFraction(stage.progress);
        parts.push(`${progressBar(f, 10)} ${percent(f).padStart(4)}`, describeProgress(stage.progress));
        const eta = stageEtaMs(stage, now);
        parts.push(`ETA ${eta === undefined ? '—' : formatDuration(eta)}`);
      } else if (stage.startedAt !== undefined) {
        parts.push(`${formatDuration(now - stage.startedAt)} elapsed`);
      }
      parts.push(devicesText(stage));
      const loss = findMetric(stage.metrics, LOSS_NAMES);
      if (loss) parts.push(`loss ${formatMetricValue(loss.value)} ${sparkline(stage.lossHistory.slice(-40), 10)}`);
      return parts.join('  ');
    }
    case 'done':
    case 'cached': {
      const time = stage.state === 'done' ? formatDuration(stage.durationMs ?? 0) : `saved ${formatDuration(stage.savedMs ?? 0)}`;
      const h = headlineMetric(stage.metrics) ?? findMetric(stage.metrics, LOSS_NAMES);
      return h ? `${time}  ${h.name} ${formatMetricValue(h.value)}` : time;
    }
    case 'failed':
      return `${formatDuration(stage.durationMs ?? 0)}  ${(stage.error ?? '').split('\n')[0]}`;
    case 'skipped':
      return stage.skipReason ?? '';
    case 'queued':
      return 'waiting for a free slot';
    case 'waiting':
      return stage.planState === 'blocked' ? `blocked: ${stage.reasons.join('; ')}` : stage.reasons.join('; ');
  }
}

export function StageRow(props: { stage: StageView; selected: boolean; idWidth: number; now: number }) {
  const { stage, selected, idWidth, now } = props;
  const look = STATE_LOOK[stage.state];
  const indent = '  '.repeat(Math.min(stage.depth, MAX_INDENT));
  const name = `${indent}${stage.id}`;
  const shownName = name.length > idWidth ? name.slice(0, idWidth - 1) + '…' : name.padEnd(idWidth);
  return (
    <Text wrap="truncate-end" inverse={selected}>
      {selected ? '›' : ' '}
      <Text color={look.color}>{look.symbol}</Text> {shownName} <Text color={look.color}>{stage.state.padEnd(7)}</Text>{' '}
      <Text dimColor={stage.state === 'waiting' || stage.state === 'skipped'}>{detail(stage, now)}</Text>
    </Text>
  );
}
