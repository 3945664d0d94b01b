// Interpolation, foreach, matrix, include, extends and overrides, observed through real runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dag, makeProject, read, statusJson } from '../helpers/cli.js';

test('foreach over params with ${item} and ${params.x} runs one variant per item', () => {
  const dir = makeProject({
    'p.yaml': [
      'params:', '  lr: 0.001', '  seeds: [1, 2, 3]',
      'stages:', '  train:', '    foreach: ${params.seeds}',
      '    cmd: [sh, -c, "echo seed=$0 lr=$1 > out/m$0.txt", "${item}", "${params.lr}"]',
      '    outs: ["out/m${item}.txt"]', '    params: [lr]',
    ].join('\n'),
  });
  const r = dag(dir, ['run', 'p.yaml']);
  assert.equal(r.code, 0, r.stderr);
  for (const s of [1, 2, 3]) assert.equal(read(dir, `out/m${s}.txt`).trim(), `seed=${s} lr=0.001`);
  assert.deepEqual(statusJson(dir, ['p.yaml']).map((s) => s.stageId), ['train@1', 'train@2', 'train@3']);
});

test('foreach over a mapping gives ${key} and ${item.field}', () => {
  const dir = makeProject({
    'p.yaml': 'stages:\n  s:\n    foreach: {small: {n: 1}, big: {n: 9}}\n    cmd: echo ${key} ${item.n} > ${key}.txt\n    outs: ["${key}.txt"]\n',
  });
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  assert.equal(read(dir, 'small.txt').trim(), 'small 1');
  assert.equal(read(dir, 'big.txt').trim(), 'big 9');
});

test('matrix expands to the cartesian product, named stage@k=v,...', () => {
  const dir = makeProject({
    'p.yaml': 'params: {wds: [0, 0.1]}\nstages:\n  sweep:\n    matrix: {lr: [0.01, 0.1], wd: "${params.wds}"}\n    cmd: echo ${matrix.lr} ${matrix.wd} > r-${matrix.lr}-${matrix.wd}.txt\n    outs: ["r-${matrix.lr}-${matrix.wd}.txt"]\n',
  });
  const ids = statusJson(dir, ['p.yaml']).map((s) => s.stageId);
  assert.deepEqual(ids, ['sweep@lr=0.01,wd=0', 'sweep@lr=0.01,wd=0.1', 'sweep@lr=0.1,wd=0', 'sweep@lr=0.1,wd=0.1']);
  assert.equal(dag(dir, ['run', 'p.yaml']).code, 0);
  assert.equal(read(dir, 'r-0.1-0.1.txt').trim(), '0.1 0.1');
});

test('stage.* collects every variant as inputs of a node', () => {
  const dir = makeProject({
    'p.yaml': 'stages:\n  part:\n    foreach: [1, 2, 3]\n    node: testing/sum\n    params: {offset: "${item}"}\n  total:\n    node: testing/sum\n    inputs: {values: part.*.total}\n',
  });
  const r = dag(dir, ['run', 'p.yaml']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(dag(dir, ['get', 'p.yaml', 'total.total', 'result']).code, 0);
  assert.equal(read(dir, 'result/value.txt').trim(), '6');
});

test('include merges fragments; extends overrides a base pipeline\'s params and stages', () => {
  const dir = makeProject({
    'fragments/common.yaml': 'params: {greeting: hello}\nstages:\n  hello:\n    cmd: echo ${params.greeting} > hello.txt\n    outs: [hello.txt]\n',
    'base.yaml': 'include: [fragments/common.yaml]\nparams: {n: 1}\nstages:\n  count:\n    cmd: echo ${params.n} > count.txt\n    outs: [count.txt]\n  extra:\n    cmd: echo x > extra.txt\n    outs: [extra.txt]\n',
    'team.yaml': 'extends: base.yaml\nparams: {n: 5, greeting: hi}\nstages:\n  extra: null\n',
  });
  const r = dag(dir, ['run', 'team.yaml']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(read(dir, 'hello.txt').trim(), 'hi');
  assert.equal(read(dir, 'count.txt').trim(), '5');
  assert.equal(existsSync(join(dir, 'extra.txt')), false, 'a stage set to null is removed');
});

test('--set is typed by YAML and --params merges a file', () => {
  const dir = makeProject({
    'p.yaml': 'params: {n: 1, opt: {name: adam}}\nstages:\n  a:\n    cmd: echo "${params.n} ${params.opt.name}" > a.txt\n    outs: [a.txt]\n',
    'over.yaml': 'opt: {name: sgd}\n',
  });
  assert.equal(dag(dir, ['run', 'p.yaml', '--set', 'n=[1, 2]', '--params', 'over.yaml']).code, 0);
  assert.equal(read(dir, 'a.txt').trim(), '[1,2] sgd');
});

test('a cmd stage reads node outputs through ${inputs.name}', () => {
  const dir = makeProject({
    'p.yaml': 'stages:\n  n:\n    node: testing/sum\n    params: {offset: 41}\n  c:\n    cmd: cat ${inputs.total}/value.txt > copy.txt\n    inputs: {total: n.total}\n    outs: [copy.txt]\n',
  });
  const r = dag(dir, ['run', 'p.yaml']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(read(dir, 'copy.txt').trim(), '41');
});

test('dag graph renders text, mermaid and dot', () => {
  const dir = makeProject({ 'p.yaml': 'stages:\n  a:\n    node: testing/sum\n  b:\n    node: testing/sum\n    inputs: {values: a.total}\n' });
  assert.match(dag(dir, ['graph', 'p.yaml']).stdout, /b {2}\[testing\/sum\] {2}← a/);
  assert.match(dag(dir, ['graph', 'p.yaml', '--format', 'mermaid']).stdout, /s0 --> s1/);
  assert.match(dag(dir, ['graph', 'p.yaml', '--format', 'dot']).stdout, /"a" -> "b";/);
});

test('dag schema prints a JSON Schema of pipeline files', () => {
  const dir = makeProject({});
  const schema = JSON.parse(dag(dir, ['schema']).stdout);
  assert.equal(schema.type, 'object');
  assert.ok(schema.properties.stages);
  assert.ok(schema.properties.params);
});
