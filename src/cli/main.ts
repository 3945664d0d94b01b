/**
 * `dag` command line. Each verb lives in its own module, imported only when used, so that a quick
 * `dag status` does not pay for loading the run machinery or TensorFlow.js.
 */
import { Command, CommanderError, Option } from 'commander';
import { isUserError, DagUserError } from '../util/user-error.js';

export interface PipelineFlags {
  set?: string[];
  params?: string[];
  cache?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function pipelineOptions(cmd: Command): Command {
  return cmd
    .option('--set <path=value>', 'override a param (value typed by YAML); repeatable', collect)
    .option('--params <file>', 'merge params from a YAML file; repeatable', collect)
    .option('--cache <dir>', 'cache directory (default: DAG_CACHE, else cache/ in the project root)');
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('dag')
    .description('Declarative experiment graphs: YAML pipelines of cached, content-hashed stages')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let exitCode = 0;
  const set = (p: Promise<number>) => p.then((c) => void (exitCode = c));

  pipelineOptions(program.command('run').argument('<pipeline>', 'pipeline file'))
    .description('run the stages that are not cached')
    .option('--force [stages...]', 'rerun these stages (all when none named) even if cached')
    .option('--target <stages...>', 'run only these stages (ids or names) and what they need')
    .option('--downstream', 'with --target: also run every stage after the targets')
    .option('--dry-run', 'show what would run, run nothing')
    .option('--keep-going', 'go on with independent stages after a failure')
    .option('--jobs <n>', 'stages running at once (default: --cpus)', parseIntArg)
    .option('--cpus <n>', 'CPU slots to schedule on (default: all cores)', parseIntArg)
    .option('--gpus <ids>', 'GPU ids to schedule on, e.g. 0,1 (default: none, or CUDA_VISIBLE_DEVICES)')
    .option('--json', 'NDJSON events on stdout')
    .option('--plain', 'plain log lines even on a terminal')
    .option('-v, --verbose', 'plain mode: print stage output lines too')
    .action((file, opts) => set(import('./run.js').then((m) => m.runCommand(file, opts, argv))));

  pipelineOptions(program.command('status').argument('<pipeline>', 'pipeline file'))
    .description('what would run, and why')
    .option('--target <stages...>', 'only these stages and what they need')
    .option('--json', 'machine-readable output')
    .action((file, opts) => set(import('./status.js').then((m) => m.statusCommand(file, opts))));

  pipelineOptions(program.command('why').argument('<pipeline>').argument('<stage>', 'stage id, e.g. train@2'))
    .description('field-by-field difference between the stage\'s current key and its last cached one')
    .action((file, stage, opts) => set(import('./why.js').then((m) => m.whyCommand(file, stage, opts))));

  pipelineOptions(program.command('graph').argument('<pipeline>'))
    .description('print the DAG')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'mermaid', 'dot']).default('text'))
    .action((file, opts) => set(import('./graph.js').then((m) => m.graphCommand(file, opts))));

  program.command('runs')
    .description('run history with headline metrics')
    .option('--cache <dir>', 'cache directory')
    .option('-n, --limit <n>', 'most recent runs to show', parseIntArg, 20)
    .action((opts) => set(import('./runs.js').then((m) => m.runsCommand(opts))));

  program.command('compare').argument('[runs...]', 'run ids, unique prefixes, last or -N (default: the most recent runs)')
    .description('metrics of several runs side by side: a row per stage and metric, a column per run')
    .option('--cache <dir>', 'cache directory')
    .option('-n, --limit <n>', 'most recent runs to compare when none is named', parseIntArg, 5)
    .option('--metric <regex>', 'only rows whose stage.metric matches')
    .option('--json', 'print the comparison as JSON')
    .action((runs, opts) => set(import('./compare.js').then((m) => m.compareCommand(runs, opts))));

  program.command('show').argument('<run>', 'run id, a unique prefix, or last')
    .description('one run: every stage with its outcome, duration, key and metrics')
    .option('--cache <dir>', 'cache directory')
    .action((run, opts) => set(import('./runs.js').then((m) => m.showCommand(run, opts))));

  program.command('gc')
    .description('remove cache entries and blobs that the last N runs do not reach')
    .option('--cache <dir>', 'cache directory')
    .option('--keep-last <n>', 'runs whose results are kept', parseIntArg, 10)
    .option('--dry-run', 'report what would be removed')
    .action((opts) => set(import('./gc.js').then((m) => m.gcCommand(opts))));

  program.command('verify')
    .description('re-hash every blob and action entry; evict what is corrupt so it is recomputed')
    .option('--cache <dir>', 'cache directory')
    .action((opts) => set(import('./verify.js').then((m) => m.verifyCommand(opts))));

  pipelineOptions(program.command('get').argument('<pipeline>').argument('<stage-output>', 'stage or stage.output').argument('<dest>', 'destination path'))
    .description('copy a cached stage output out of the store')
    .action((file, ref, dest, opts) => set(import('./get.js').then((m) => m.getCommand(file, ref, dest, opts))));

  program.command('doctor')
    .description('Node version, TensorFlow.js backends, GPUs, cache location and size')
    .option('--cache <dir>', 'cache directory')
    .action((opts) => set(import('./doctor.js').then((m) => m.doctorCommand(opts))));

  program.command('schema')
    .description('JSON Schema of pipeline files, for editors')
    .action(() => set(import('./schema.js').then((m) => m.schemaCommand())));

  program.command('nodes')
    .description('list the built-in nodes with their inputs, outputs and params')
    .argument('[name]', 'one node in detail')
    .action((name) => set(import('./nodes.js').then((m) => m.nodesCommand(name))));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    return reportError(err);
  }
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
  }
  if (err instanceof DagUserError) {
    process.stderr.write(err.format() + '\n');
    return 2;
  }
  if (isUserError(err)) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }
  process.stderr.write(`internal error (a bug in dag; please report it):\n${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}

function parseIntArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new DagUserError(`expected a whole number, got "${v}"`);
  return n;
}
