/**
 * The members of an ensemble: the predictions artifacts wired to one input, read and checked to
 * describe the same rows and classes. A member is named by the stage output that produced it
 * (`predict@2.predictions`), which is how weights and messages refer to it.
 */
import type { InputArtifact, PortSpec } from '../exec/node-contract.js';
import { NodeUserError } from '../exec/node-contract.js';
import { checkAligned, readPredictions, type Predictions } from '../artifacts/predictions.js';
import { labeledRows } from './probability.js';

export interface Member {
  name: string;
  predictions: Predictions;
}

export function memberName(a: InputArtifact): string {
  return `${a.producer}.${a.output}`;
}

/** Reads every artifact of one input and checks they cover the same rows and classes. */
export function readMembers(artifacts: InputArtifact[], input: string): Member[] {
  const members = artifacts.map((a) => ({ name: `${input} ${memberName(a)}`, predictions: readPredictions(a.path) }));
  checkAligned(members.map((m) => ({ name: m.name, ...m.predictions })));
  return members.map((m, i) => ({ name: memberName(artifacts[i]!), predictions: m.predictions }));
}

/** Labels known to any member: members may differ only where one of them says −1. */
export function mergedLabels(members: Member[]): Int32Array {
  const labels = Int32Array.from(members[0]!.predictions.labels);
  for (const m of members.slice(1)) {
    m.predictions.labels.forEach((l, i) => {
      if (labels[i] === -1) labels[i] = l;
    });
  }
  return labels;
}

/**
 * Validation and test members of a fitted ensemble (weighted, stacking): the same number of
 * members, in the same order, over the same classes; validation rows labeled.
 */
export function readFittedMembers(val: InputArtifact[], test: InputArtifact[]): { val: Member[]; test: Member[]; valLabels: Int32Array } {
  if (val.length !== test.length) {
    throw new NodeUserError(`"val" has ${val.length} members but "test" has ${test.length}: wire one val and one test predictions per member, in the same order`);
  }
  const valMembers = readMembers(val, 'val');
  const testMembers = readMembers(test, 'test');
  const vc = valMembers[0]!.predictions.classes;
  const tc = testMembers[0]!.predictions.classes;
  if (vc.join('\n') !== tc.join('\n')) throw new NodeUserError(`val ${valMembers[0]!.name} and test ${testMembers[0]!.name} have different classes`);
  const valLabels = mergedLabels(valMembers);
  if (labeledRows(valLabels) === 0) throw new NodeUserError(`val predictions ${valMembers[0]!.name} have no labeled rows: weights are fit on labeled validation rows`);
  return { val: valMembers, test: testMembers, valLabels };
}

/** A predictions artifact over the members' rows and classes, holding an ensemble's output. */
export function ensemblePredictions(
  like: Predictions,
  labels: Int32Array,
  out: { probs: Float32Array; logits?: Float32Array },
  meta: Record<string, unknown>,
): Predictions {
  return {
    probs: out.probs,
    ...(out.logits ? { logits: out.logits } : {}),
    rows: like.rows,
    numClasses: like.numClasses,
    labels,
    classes: like.classes,
    meta: { ...(like.meta.split !== undefined ? { split: like.meta.split } : {}), ...meta },
  };
}

/** The inputs of an ensemble fit on validation predictions and applied to test predictions. */
export const fittedEnsembleInputs: Record<'val' | 'test', PortSpec> = {
  val: { kind: 'predictions', many: true, description: 'each member\'s predictions on the labeled validation rows' },
  test: { kind: 'predictions', many: true, description: 'each member\'s predictions on the rows to predict, same member order as val' },
};

/** The input of an ensemble of fixed combination: one predictions artifact per member. */
export const membersInput: PortSpec = { kind: 'predictions', many: true, description: 'one predictions artifact per member, same rows and classes' };
