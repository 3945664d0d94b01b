export { saveModel, loadModel, readModelMeta, MODEL_JSON, WEIGHTS_BIN, META_JSON } from './model-files.js';
