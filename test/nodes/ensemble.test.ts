import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNodeInProcess } from '../../src/exec/node-runner.js';
import { NodeUserError, type InputArtifact } from '../../src/exec/node-contract.js';
import { readPredictions, type Predictions } from '../../src/artifacts/predictions.js';
import { accuracy, argmaxRow, balancedAccuracy, meanNll, softmaxRows } from '../../src/ensemble/probability.js';
import vote from '../../nodes/ensemble/vote.js';
import average from '../../nodes/ensemble/average.js';
import weighted from '../../nodes/ensemble/weighted.js';
import { longTailedRows, lt100Classes, nodeDirs, pixelMembers, predictionsArtifact, type MemberArtifacts } from './ensemble-fixtures.js';

const classes = lt100Classes.slice(0, 6);
let members: MemberArtifacts[] = [];

before(() => {
  members = pixelMembers(classes);
});

async function run(node: typeof vote | typeof average | typeof weighted, params: unknown, inputs: Record<string, InputArtifact[]>, tag: string) {
  const r = await runNodeInProcess(node, { params, inputs, ...nodeDirs(tag) });
  return { predictions: readPredictions(r.outputs.predictions!), metrics: r.metrics, dir: r.outputs.predictions! };
}

function synthetic(name: string, probs: number[][], labels: number[]): InputArtifact {
  const logits = Float32Array.from(probs.flat(), (p) => Math.log(p));
  return predictionsArtifact(name, logits, Int32Array.from(labels), ['a', 'b', 'c'], false);
}

test('hard vote: majority wins; a tie goes to the larger summed probability', async () => {
  const labels = [0, 1, 2];
  const m1 = synthetic('m1', [[0.6, 0.3, 0.1], [0.5, 0.3, 0.2], [0.1, 0.2, 0.7]], labels);
  const m2 = synthetic('m2', [[0.5, 0.4, 0.1], [0.2, 0.45, 0.35], [0.1, 0.3, 0.6]], labels);
  const m3 = synthetic('m3', [[0.1, 0.8, 0.1], [0.1, 0.3, 0.6], [0.2, 0.7, 0.1]], labels);
  const { predictions: p, metrics } = await run(vote, {}, { predictions: [m1, m2, m3] }, 'vote-syn');
  // Row 0: a, a, b → a even though b has the largest summed probability (1.5 vs 1.2).
  // Row 1: a, b, c one vote each → c, whose summed probability (1.15) beats b's (1.05) and a's (0.8).
  // Row 2: c, c, b → c.
  assert.deepEqual([0, 1, 2].map((r) => argmaxRow(p.probs, r, 3)), [0, 2, 2]);
  // (votes + mean prob) / (members + 1) for row 0, class a: (2 + 1.2/3) / 4.
  assert.ok(Math.abs(p.probs[0]! - (2 + 1.2 / 3) / 4) < 1e-6);
  for (let r = 0; r < 3; r++) assert.ok(Math.abs(p.probs[r * 3]! + p.probs[r * 3 + 1]! + p.probs[r * 3 + 2]! - 1) < 1e-6);
  assert.ok(Math.abs((metrics.accuracy as number) - 2 / 3) < 1e-6);
  assert.ok(Math.abs((metrics.agreement as number) - (2 / 3 + 1 / 3 + 2 / 3) / 3) < 1e-6);
});

test('soft vote and average are the mean of the members\' probabilities', async () => {
  const tests = members.map((m) => m.test);
  const soft = (await run(vote, { mode: 'soft' }, { predictions: tests }, 'vote-soft')).predictions;
  const avg = (await run(average, {}, { predictions: tests }, 'avg')).predictions;
  const ps = tests.map((t) => readPredictions(t.path).probs);
  for (let i = 0; i < soft.probs.length; i += 97) {
    const mean = ps.reduce((s, p) => s + p[i]!, 0) / ps.length;
    assert.ok(Math.abs(soft.probs[i]! - mean) < 1e-6);
  }
  assert.deepEqual(avg.probs, soft.probs);
  assert.equal(avg.logits, undefined);
  // The average of four real classifiers beats the mean of their accuracies.
  const memberAcc = ps.map((p) => accuracy(p, soft.labels, 6)!);
  const ensembleAcc = accuracy(soft.probs, soft.labels, 6)!;
  assert.ok(ensembleAcc > memberAcc.reduce((a, b) => a + b, 0) / memberAcc.length, `${ensembleAcc} vs ${memberAcc}`);
});

test('average in logit space with weights: softmax of the weighted mean; log-probs stand in for missing logits', async () => {
  const tests = members.slice(0, 3).map((m) => m.test);
  const { predictions: p, metrics } = await run(average, { space: 'logits', weights: [2, 1, 1] }, { predictions: tests }, 'avg-logits');
  const zs = tests.map((t) => readPredictions(t.path).logits!);
  const expected = softmaxRows(Float64Array.from(zs[0]!, (_, i) => 0.5 * zs[0]![i]! + 0.25 * zs[1]![i]! + 0.25 * zs[2]![i]!), p.rows, 6);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(p.probs[i]! - expected[i]!) < 1e-5);
  assert.ok(p.logits);
  assert.ok(Math.abs((metrics.accuracy as number) - accuracy(p.probs, p.labels, 6)!) < 1e-6);
  // The same members without logits (probabilities only) give the same ensemble.
  const probsOnly = tests.map((t, k) => {
    const q = readPredictions(t.path);
    return predictionsArtifact(`probs-only-${k}`, Float32Array.from(q.probs, Math.log), q.labels, q.classes, false);
  });
  const p2 = (await run(average, { space: 'logits', weights: [2, 1, 1] }, { predictions: probsOnly }, 'avg-logprobs')).predictions;
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(p2.probs[i]! - expected[i]!) < 1e-4);
});

test('misaligned members, bad weights and bad params are user errors naming the problem', async () => {
  const small = synthetic('small', [[0.6, 0.3, 0.1]], [0]);
  await assert.rejects(run(vote, {}, { predictions: [members[0]!.test, small] }, 'bad-rows'), (e: Error) => e instanceof NodeUserError && /rows/.test(e.message));
  await assert.rejects(run(average, {}, { predictions: [members[0]!.test, members[0]!.val] }, 'bad-labels'), (e: Error) => e instanceof NodeUserError && /rows/.test(e.message));
  await assert.rejects(run(average, { weights: [1, 2] }, { predictions: members.map((m) => m.test) }, 'bad-w'), (e: Error) => e instanceof NodeUserError && /weights has 2 entries but there are 4 members/.test(e.message));
  await assert.rejects(run(vote, { mode: 'median' }, { predictions: [small] }, 'bad-mode'), NodeUserError);
  await assert.rejects(
    run(weighted, {}, { val: members.map((m) => m.val), test: members.slice(1).map((m) => m.test) }, 'bad-count'),
    (e: Error) => e instanceof NodeUserError && /"val" has 4 members but "test" has 3/.test(e.message),
  );
  const unlabeled = members.map((m) => {
    const q = readPredictions(m.val.path);
    return predictionsArtifact('unlabeled', q.logits!, new Int32Array(q.rows).fill(-1), q.classes);
  });
  await assert.rejects(run(weighted, {}, { val: unlabeled, test: members.map((m) => m.test) }, 'unlabeled'), (e: Error) => e instanceof NodeUserError && /no labeled rows/.test(e.message));
});

function pooledOn(preds: Predictions[], weights: number[], space: 'probs' | 'logits'): Float32Array {
  const { rows, numClasses } = preds[0]!;
  const acc = new Float64Array(rows * numClasses);
  preds.forEach((p, k) => {
    const v = space === 'probs' ? p.probs : p.logits!;
    for (let i = 0; i < acc.length; i++) acc[i]! += weights[k]! * v[i]!;
  });
  return space === 'probs' ? Float32Array.from(acc) : softmaxRows(acc, rows, numClasses);
}

for (const space of ['probs', 'logits'] as const) {
  for (const objective of ['log-likelihood', 'accuracy'] as const) {
    test(`weighted (${objective}, ${space}): never worse than its best member on the validation rows it was fit on`, async (t) => {
      const inputs = { val: members.map((m) => m.val), test: members.map((m) => m.test) };
      const out = await run(weighted, { objective, space }, inputs, `weighted-${objective}-${space}`);
      const names = inputs.test.map((a) => `${a.producer}.${a.output}`);
      const w = names.map((n) => (out.predictions.meta.weights as Record<string, number>)[n]!);
      assert.ok(w.every((x) => x >= 0));
      assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      // Re-apply the published weights to the validation predictions and score them independently.
      const valPreds = inputs.val.map((a) => readPredictions(a.path));
      const labels = valPreds[0]!.labels;
      const pooled = pooledOn(valPreds, w, space);
      const memberProbs = valPreds.map((p) => p.probs);
      if (objective === 'accuracy') {
        const best = Math.max(...memberProbs.map((p) => accuracy(p, labels, 6)!));
        assert.ok(accuracy(pooled, labels, 6)! >= best, `ensemble ${accuracy(pooled, labels, 6)} < best member ${best}`);
      } else {
        const best = Math.min(...memberProbs.map((p) => meanNll(p, labels, 6)!));
        assert.ok(meanNll(pooled, labels, 6)! <= best + 1e-6, `ensemble nll ${meanNll(pooled, labels, 6)} > best member ${best}`);
        // Four different views of the drawing: the fit mixes them rather than picking one.
        assert.ok(w.filter((x) => x > 0.05).length >= 2, `weights ${w}`);
      }
      assert.equal(out.predictions.rows, 6 * 80);
      t.diagnostic(`${objective}/${space}: weights ${w.map((x) => x.toFixed(3))}, val acc ${accuracy(pooled, labels, 6)!.toFixed(3)} (members ${memberProbs.map((p) => accuracy(p, labels, 6)!.toFixed(3))}), test acc ${out.metrics.accuracy}`);
      // Test rows get the same weights.
      const testPooled = pooledOn(inputs.test.map((a) => readPredictions(a.path)), w, space);
      for (let i = 0; i < testPooled.length; i += 37) assert.ok(Math.abs(testPooled[i]! - out.predictions.probs[i]!) < 1e-4);
      // Deterministic: the same inputs give the same bytes.
      const again = await run(weighted, { objective, space }, inputs, `weighted-again-${objective}-${space}`);
      assert.deepEqual(readFileSync(join(again.dir, 'probs.npy')), readFileSync(join(out.dir, 'probs.npy')));
    });
  }
}

test('weighted: a member that is right on every validation row takes all the weight', async () => {
  const val = readPredictions(members[0]!.val.path);
  const oracle = Float32Array.from({ length: val.rows * 6 }, (_, i) => (Math.floor(i / 6) < val.rows && val.labels[Math.floor(i / 6)] === i % 6 ? 4 : 0));
  const oracleVal = predictionsArtifact('oracle-val', oracle, val.labels, classes);
  const oracleTest = members[0]!.test;
  const out = await run(weighted, { objective: 'accuracy' }, { val: [members[1]!.val, oracleVal], test: [members[1]!.test, oracleTest] }, 'oracle');
  assert.equal(out.metrics.val_accuracy, 1);
  const w = Object.values(out.predictions.meta.weights as Record<string, number>);
  assert.ok(w[1]! > 0.5, `weights ${w}`);
});

test('weighted with classBalanced: never worse than the best member in balanced accuracy on a long-tailed validation split', async (t) => {
  const counts = [60, 36, 20, 10, 6, 4];
  const val = members.map((m, i) => longTailedRows(m.val, `lt-${i}`, counts));
  const out = await run(weighted, { objective: 'accuracy', classBalanced: true }, { val, test: members.map((m) => m.test) }, 'weighted-balanced');
  const valPreds = val.map((a) => readPredictions(a.path));
  const names = members.map((m) => `${m.test.producer}.${m.test.output}`);
  const weights = names.map((n) => (out.predictions.meta.weights as Record<string, number>)[n]!);
  const pooled = pooledOn(valPreds, weights, 'probs');
  const best = Math.max(...valPreds.map((p) => balancedAccuracy(p.probs, p.labels, 6)!));
  t.diagnostic(`val balanced accuracy ${balancedAccuracy(pooled, valPreds[0]!.labels, 6)} vs best member ${best}; weights ${weights.map((x) => x.toFixed(3))}`);
  assert.ok(balancedAccuracy(pooled, valPreds[0]!.labels, 6)! >= best);
  assert.ok(Math.abs((out.metrics.val_balanced_accuracy as number) - balancedAccuracy(pooled, valPreds[0]!.labels, 6)!) < 1e-6);
});
