// Public API for node authors and embedders.
export * from './exec/node-contract.js';
export { runNodeInProcess, parseNodeParams } from './exec/node-runner.js';
export type { NodeEvent, NodeRunOptions, NodeRunResult } from './exec/node-runner.js';
