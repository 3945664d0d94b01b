/**
 * The live view of a run: header with totals and ETA, the stage list (windowed for large
 * pipelines), the selected stage's detail and log, and the keys. The reporter re-renders it when
 * its throttle ticks, never per event; it turns into the summary when the run ends.
 */
import { useRef, useState } from 'react';
import { Box, Text, useInput, useStdin, useStdout } from 'ink';
import { formatDuration } from '../format.js';
import { runEtaMs } from '../progress.js';
import type { RunState, StageState, StageView } from '../run-state.js';
import { stageWindow, type WindowRow } from '../stage-window.js';
import { StageDetail, DETAIL_LINES } from './stage-detail.js';
import { MAX_INDENT, StageRow } from './stage-row.js';
import { SummaryView } from './summary-view.js';

export interface LiveViewProps {
  /** Read when the view is rendered; the reporter re-renders it, throttled, as events arrive. */
  run: RunState;
  /** Wall clock for elapsed time and ETAs; a replay passes the time of its last event. */
  now: () => number;
  onStopRequest?: (force: boolean) => void;
  /** Terminal height; read from stdout when omitted. */
  rows?: number;
}

const HEADER_LINES = 2;
const FOOTER_LINES = 1;
const MAX_ID_WIDTH = 28;
const COUNT_ORDER: readonly StageState[] = ['running', 'queued', 'done', 'cached', 'failed', 'skipped', 'waiting'];

/** The stage the view follows until the user picks one: what runs, else what failed. */
function autoSelection(run: RunState): number {
  const running = run.stages.findIndex((s) => s.state === 'running');
  if (running !== -1) return running;
  const failed = run.stages.findIndex((s) => s.state === 'failed');
  return failed !== -1 ? failed : 0;
}

function selectionIndex(run: RunState, picked: string | undefined): number {
  const index = picked === undefined ? -1 : run.stages.findIndex((s) => s.id === picked);
  return index !== -1 ? index : autoSelection(run);
}

function clamp(index: number, length: number): number {
  return Math.min(Math.max(0, index), Math.max(0, length - 1));
}

export function LiveView(props: LiveViewProps) {
  const { run, now, onStopRequest } = props;
  const { stdout } = useStdout();
  const { isRawModeSupported } = useStdin();
  const [picked, setPicked] = useState<string | undefined>(undefined);
  const [showLog, setShowLog] = useState(true);
  const [stopPresses, setStopPresses] = useState(0);
  // Counted outside React state: a second Ctrl-C typed before the next frame must still be "force".
  const stopCount = useRef(0);

  const selected = selectionIndex(run, picked);

  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) {
        const presses = ++stopCount.current;
        setStopPresses(presses);
        onStopRequest?.(presses > 1);
        return;
      }
      const step = key.upArrow || input === 'k' ? -1 : key.downArrow || input === 'j' ? 1 : 0;
      // From the previous pick, not this render's, so keys typed faster than frames all count.
      if (step !== 0) setPicked((previous) => run.stages[clamp(selectionIndex(run, previous) + step, run.stages.length)]?.id);
      else if (input === 'l') setShowLog((shown) => !shown);
    },
    { isActive: isRawModeSupported === true },
  );

  if (run.finished) return <SummaryView run={run} />;
  if (run.status === 'starting') return <Text dimColor>dag: planning the run…</Text>;

  const time = now();
  const rows = props.rows ?? stdout.rows ?? 24;
  const logLines = showLog ? Math.min(8, Math.max(2, Math.floor(rows / 4))) : 0;
  // Ink clears the whole screen when a frame is as tall as the terminal, so stay a line short.
  const listLimit = Math.max(3, rows - 1 - HEADER_LINES - FOOTER_LINES - DETAIL_LINES - logLines);
  const window = stageWindow(run.stages.map((s) => s.state), selected, listLimit);
  const shownStages = window.flatMap((r) => (r.kind === 'stage' ? [run.stages[r.index]!] : []));
  const idWidth = Math.min(MAX_ID_WIDTH, Math.max(8, ...shownStages.map((s) => s.id.length + 2 * Math.min(s.depth, MAX_INDENT))));
  const selectedStage = run.stages[selected];

  return (
    <Box flexDirection="column">
      <Header run={run} now={time} />
      {window.map((row) => (row.kind === 'stage' ? (
        <StageRow key={run.stages[row.index]!.id} stage={run.stages[row.index]!} selected={row.index === selected} idWidth={idWidth} now={time} />
      ) : (
        <HiddenRow key={`hidden-${row.from}`} run={run} row={row} />
      )))}
      {selectedStage ? <StageDetail run={run} stage={selectedStage} now={time} logLines={logLines} /> : null}
      <Footer run={run} stopPresses={stopPresses} keys={isRawModeSupported === true} showLog={showLog} />
    </Box>
  );
}

function Header(props: { run: RunState; now: number }) {
  const { run, now } = props;
  const elapsed = run.startedAt !== undefined ? formatDuration(now - run.startedAt) : '—';
  const eta = runEtaMs(run, now);
  const counts = run.countByState();
  const countText = COUNT_ORDER.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`).join(' · ');
  const gpus = run.gpus.length > 0 ? run.gpus.join(',') : 'none';
  return (
    <>
      <Text wrap="truncate-end">
        <Text bold>dag run</Text> {run.pipeline} <Text dimColor>{run.runId}</Text>  {elapsed} elapsed · ETA{' '}
        {eta === undefined ? '—' : formatDuration(eta)}
      </Text>
      <Text wrap="truncate-end" dimColor>
        {run.stages.length} stages: {countText} │ jobs {run.jobs} · cpus {run.cpus} · gpus {gpus}
      </Text>
    </>
  );
}

function HiddenRow(props: { run: RunState; row: Extract<WindowRow, { kind: 'hidden' }> }) {
  const counts = new Map<StageState, number>();
  for (let i = props.row.from; i < props.row.to; i++) {
    const s: StageView = props.run.stages[i]!;
    counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  }
  const text = COUNT_ORDER.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s}`).join(', ');
  return (
    <Text wrap="truncate-end" dimColor>
      {'  '}⋯ {props.row.to - props.row.from} more: {text}
    </Text>
  );
}

function Footer(props: { run: RunState; stopPresses: number; keys: boolean; showLog: boolean }) {
  if (props.run.status === 'cancelling' || props.stopPresses > 0) {
    const force = props.run.cancelForce || props.stopPresses > 1;
    return (
      <Text color="yellow" wrap="truncate-end">
        {force ? 'killing running stages…' : 'stopping: no new stages, waiting for running ones · q or Ctrl-C again to kill'}
      </Text>
    );
  }
  if (!props.keys) return <Text dimColor>Ctrl-C stops the run</Text>;
  return (
    <Text dimColor wrap="truncate-end">
      ↑↓/j k select · l {props.showLog ? 'hide' : 'show'} log · q stop (twice: kill)
    </Text>
  );
}
