/** Restores NODE_ENV after the Ink view loaded React (see react-production-begin.ts). */
import { previousNodeEnv } from './react-production-begin.js';

if (previousNodeEnv === undefined) delete process.env.NODE_ENV;
