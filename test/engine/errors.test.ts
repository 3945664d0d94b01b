// Every class of user error names file:line:col, says one clear thing, and exits 2 without a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dag, makeProject } from '../helpers/cli.js';

function expectUserError(files: Record<string, string>, args: string[], pattern: RegExp, position?: string): void {
  const dir = makeProject(files);
  const r = dag(dir, args);
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  if (position) assert.ok(r.stderr.startsWith(position), `expected position ${position} in: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.stderr.trim().split('\n').length <= 2, true, `one clear message, got: ${r.stderr}`);
}

test('YAML syntax error points at the line', () => {
  expectUserError({ 'p.yaml': 'stages:\n  a:\n    cmd: [echo, hi\n    outs: [x]\n' }, ['status', 'p.yaml'], /invalid YAML/, 'p.yaml:');
});

test('duplicate keys are a syntax error', () => {
  expectUserError({ 'p.yaml': 'stages:\n  a:\n    cmd: echo\n  a:\n    cmd: echo\n' }, ['status', 'p.yaml'], /invalid YAML.*(unique|duplicate)/i, 'p.yaml:4:');
});

test('unknown stage field suggests the near miss', () => {
  expectUserError({ 'p.yaml': 'stages:\n  a:\n    cmd: echo hi > x\n    otus: [x]\n' }, ['status', 'p.yaml'], /unknown field "otus" \(did you mean "outs"\?\)/, 'p.yaml:4:5');
});

test('unknown top-level field suggests the near miss', () => {
  expectUserError({ 'p.yaml': 'parms:\n  lr: 1\nstages: {}\n' }, ['status', 'p.yaml'], /unknown field "parms" \(did you mean "params"\?\)/, 'p.yaml:1:1');
});

test('wrong type is reported at the value', () => {
  expectUserError({ 'p.yaml': 'stages:\n  a:\n    cmd: echo\n    deps: data.txt\n' }, ['status', 'p.yaml'], /deps: .*expected array/i, 'p.yaml:4:11');
});

test('a stage needs cmd or node', () => {
  expectUserError({ 'p.yaml': 'stages:\n  a:\n    deps: [x]\n' }, ['status', 'p.yaml'], /needs "cmd" .* or "node"/, 'p.yaml:3:5');
});

test('unknown node with did-you-mean', () => {
  expectUserError({ 'p.yaml': 'stages:\n  a:\n    node: testing/sun\n' }, ['status', 'p.yaml'], /unknown node "testing\/sun" \(did you mean "testing\/sum"\?\)/, 'p.yaml:3:11');
});

test('wrong node param type names the param', () => {
  expectUserError({ 'p.yaml': 'stages:\n  a:\n    node: testing/sum\n    params: {offset: "ten"}\n' }, ['status', 'p.yaml'], /invalid param offset: .*expected number/i, 'p.yaml:4:22');
});

test('unknown stage in a reference suggests the near miss', () => {
  expectUserError(
    { 'p.yaml': 'stages:\n  first:\n    node: testing/sum\n  second:\n    node: testing/sum\n    inputs: {values: frist.total}\n' },
    ['status', 'p.yaml'], /unknown stage "frist" in "frist.total" \(did you mean "first"\?\)/, 'p.yaml:6:22',
  );
});

test('unknown output of a node stage', () => {
  expectUserError(
    { 'p.yaml': 'stages:\n  first:\n    node: testing/sum\n  second:\n    node: testing/sum\n    inputs: {values: first.totl}\n' },
    ['status', 'p.yaml'], /no output "totl" \(did you mean "total"\?\)/, 'p.yaml:6:22',
  );
});

test('a cycle is reported with its stages and a position', () => {
  expectUserError(
    { 'p.yaml': 'stages:\n  a:\n    node: testing/sum\n    inputs: {values: b.total}\n  b:\n    node: testing/sum\n    inputs: {values: a.total}\n' },
    ['status', 'p.yaml'], /cycle: (a → b → a|b → a → b)/, 'p.yaml:',
  );
});

test('a cycle through files is found too', () => {
  expectUserError(
    { 'p.yaml': 'stages:\n  a:\n    cmd: cp y x\n    deps: [y]\n    outs: [x]\n  b:\n    cmd: cp x y\n    deps: [x]\n    outs: [y]\n' },
    ['status', 'p.yaml'], /cycle/, 'p.yaml:',
  );
});

test('unknown interpolation names what is available', () => {
  expectUserError({ 'p.yaml': 'params: {lr: 1}\nstages:\n  a:\n    cmd: echo ${params.rl}\n' }, ['status', 'p.yaml'], /unknown reference \$\{params.rl\}.*known: lr/, 'p.yaml:4:10');
});

test('undeclared param in a cmd stage suggests the near miss', () => {
  expectUserError({ 'p.yaml': 'params: {lr: 1}\nstages:\n  a:\n    cmd: echo\n    params: [rl]\n' }, ['status', 'p.yaml'], /unknown param "rl" \(did you mean "lr"\?\)/, 'p.yaml:5:14');
});

test('missing include file', () => {
  expectUserError({ 'p.yaml': 'include: [nope.yaml]\nstages: {}\n' }, ['status', 'p.yaml'], /include file not found: nope.yaml/, 'p.yaml:1:11');
});

test('missing pipeline file', () => {
  const dir = makeProject({});
  const r = dag(dir, ['status', 'absent.yaml']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /file not found: absent.yaml/);
});

test('--set of an unknown param suggests the near miss', () => {
  expectUserError({ 'p.yaml': 'params: {lr: 1}\nstages: {}\n' }, ['status', 'p.yaml', '--set', 'rl=2'], /no param "rl" \(did you mean "lr"\?\)/);
});

test('a missing dep file stops the run before anything runs, naming the file', () => {
  const dir = makeProject({ 'p.yaml': 'stages:\n  a:\n    cmd: cat in.txt > out.txt\n    deps: [in.txt]\n    outs: [out.txt]\n' });
  const r = dag(dir, ['run', 'p.yaml']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /p\.yaml:4:\d+: error: stage "a" cannot run: dep in.txt does not exist/);
});

test('a variant reference needs * or a variant name', () => {
  expectUserError(
    { 'p.yaml': 'stages:\n  t:\n    foreach: [1, 2]\n    node: testing/sum\n  v:\n    node: testing/sum\n    inputs: {values: t.total}\n' },
    ['status', 'p.yaml'], /has variants .*t\.\*\.total/, 'p.yaml:7:',
  );
});

test('a misspelt node param is an error, not silently ignored', () => {
  expectUserError({ 'p.yaml': 'stages:\n  a:\n    node: testing/sum\n    params: {ofset: 1}\n' }, ['status', 'p.yaml'], /has no param "ofset" \(did you mean "offset"\?\)/, 'p.yaml:4:14');
});
