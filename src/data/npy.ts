/**
 * NumPy `.npy` reader and writer for the three dtypes datasets use (uint8 images, int32 labels,
 * float32 weights/probabilities). Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 * Versions 1–3 are read (they differ only in the header-length field and its encoding); version 1 is
 * written unless the header needs more than 65,535 bytes.
 */
import { closeSync, fstatSync, openSync, readSync, writeFileSync, renameSync } from 'node:fs';
import { NodeUserError } from '../exec/node-contract.js';
import { cannotRead, readUserFile } from './user-file.js';

export type NpyDtype = 'uint8' | 'int32' | 'float32';

export type NpyData<D extends NpyDtype = NpyDtype> = D extends 'uint8'
  ? Uint8Array
  : D extends 'int32'
    ? Int32Array
    : Float32Array;

export interface NpyArray<D extends NpyDtype = NpyDtype> {
  dtype: D;
  /** C-order shape; a scalar has shape []. */
  shape: number[];
  data: NpyData<D>;
}

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Stored big-endian (`>i4`, `>f4`); converted on read. */
  bigEndian: boolean;
  /** Bytes per stored element: 8 for int64 files, which are narrowed to int32 on read. */
  itemBytes: number;
  /** Byte offset of the first element. */
  dataOffset: number;
  /** Bytes the data section must hold. */
  dataBytes: number;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
/** Enough for the header of any file this project writes or Google publishes. */
export const NPY_PREFIX_BYTES = 4096;

const BYTES: Record<NpyDtype, number> = { uint8: 1, int32: 4, float32: 4 };
const DESCR: Record<string, { dtype: NpyDtype; bigEndian: boolean; itemBytes: number }> = {
  '|u1': { dtype: 'uint8', bigEndian: false, itemBytes: 1 },
  '<u1': { dtype: 'uint8', bigEndian: false, itemBytes: 1 },
  '>u1': { dtype: 'uint8', bigEndian: false, itemBytes: 1 },
  '<i4': { dtype: 'int32', bigEndian: false, itemBytes: 4 },
  '>i4': { dtype: 'int32', bigEndian: true, itemBytes: 4 },
  // NumPy's default integer; label files saved without astype(np.int32) arrive like this.
  '<i8': { dtype: 'int32', bigEndian: false, itemBytes: 8 },
  '<f4': { dtype: 'float32', bigEndian: false, itemBytes: 4 },
  '>f4': { dtype: 'float32', bigEndian: true, itemBytes: 4 },
};

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Parses the header from the first bytes of a file. `source` names the file in errors.
 * Throws NodeUserError when the prefix is too short to hold the header it announces.
 */
export function parseNpyHeader(prefix: Uint8Array, source: string): NpyHeader {
  const buf = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) {
    throw new NodeUserError(`${source}: not a .npy file (missing the \\x93NUMPY magic)`);
  }
  const major = buf[6]!;
  let lenBytes: number;
  if (major === 1) lenBytes = 2;
  else if (major === 2 || major === 3) lenBytes = 4;
  else throw new NodeUserError(`${source}: unsupported .npy format version ${major}.${buf[7]}`);
  if (buf.length < 8 + lenBytes) throw new NodeUserError(`${source}: truncated .npy header`);
  const headerLen = lenBytes === 2 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = 8 + lenBytes;
  if (buf.length < start + headerLen) {
    throw new NodeUserError(`${source}: truncated .npy header (announces ${headerLen} bytes, file has ${buf.length - start})`);
  }
  const text = buf.subarray(start, start + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NodeUserError(`${source}: malformed .npy header: ${text.trim()}`);
  }
  const kind = DESCR[descr];
  if (!kind) throw new NodeUserError(`${source}: dtype ${descr} is not supported (uint8, int32 or float32 expected)`);
  if (fortran === 'True') throw new NodeUserError(`${source}: Fortran-order arrays are not supported; save in C order`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(n) || n < 0) throw new NodeUserError(`${source}: bad shape (${shapeText}) in .npy header`);
      return n;
    });
  return {
    dtype: kind.dtype,
    shape,
    bigEndian: kind.bigEndian,
    itemBytes: kind.itemBytes,
    dataOffset: start + headerLen,
    dataBytes: elementCount(shape) * kind.itemBytes,
  };
}

/** Builds the typed array for `bytes` (as the header describes them), copying so the result is aligned. */
export function typedFromHeader(h: NpyHeader, bytes: Uint8Array, source: string): NpyData {
  if (h.itemBytes === 8) return narrowInt64(bytes, source);
  return typedFromBytes(h.dtype, bytes, h.bigEndian);
}

function narrowInt64(bytes: Uint8Array, source: string): Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(bytes.byteLength / 8);
  for (let i = 0; i < out.length; i++) {
    const v = view.getBigInt64(i * 8, true);
    if (v > 2147483647n || v < -2147483648n) throw new NodeUserError(`${source}: int64 value ${v} at element ${i} does not fit int32`);
    out[i] = Number(v);
  }
  return out;
}

export function typedFromBytes<D extends NpyDtype>(dtype: D, bytes: Uint8Array, bigEndian = false): NpyData<D> {
  const copy = new Uint8Array(bytes); // aligned copy; Int32Array needs a 4-byte-aligned offset
  if (bigEndian && BYTES[dtype] === 4) {
    for (let i = 0; i < copy.length; i += 4) {
      const a = copy[i]!, b = copy[i + 1]!;
      copy[i] = copy[i + 3]!; copy[i + 1] = copy[i + 2]!; copy[i + 2] = b; copy[i + 3] = a;
    }
  }
  const n = copy.byteLength / BYTES[dtype];
  if (dtype === 'uint8') return copy as NpyData<D>;
  if (dtype === 'int32') return new Int32Array(copy.buffer, 0, n) as NpyData<D>;
  return new Float32Array(copy.buffer, 0, n) as NpyData<D>;
}

export function decodeNpy(bytes: Uint8Array, source: string): NpyArray {
  const h = parseNpyHeader(bytes, source);
  const have = bytes.byteLength - h.dataOffset;
  if (have < h.dataBytes) {
    throw new NodeUserError(
      `${source}: truncated .npy data: shape (${h.shape.join(', ')}) ${h.dtype} needs ${h.dataBytes} bytes, file has ${have}`,
    );
  }
  if (have > h.dataBytes) {
    throw new NodeUserError(
      `${source}: .npy has ${have - h.dataBytes} bytes more than shape (${h.shape.join(', ')}) ${h.dtype} announces`,
    );
  }
  const data = typedFromHeader(h, bytes.subarray(h.dataOffset, h.dataOffset + h.dataBytes), source);
  return { dtype: h.dtype, shape: h.shape, data };
}

export function readNpy(file: string): NpyArray {
  return decodeNpy(readUserFile(file), file);
}

/**
 * Reads only the header of a file (for row-range reads of large files), and checks that the file
 * is as long as the header says, so a truncated download is caught before any row is used.
 */
export function readNpyHeader(file: string): NpyHeader {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw cannotRead(file, e);
  }
  try {
    const prefix = Buffer.alloc(NPY_PREFIX_BYTES);
    const n = readSync(fd, prefix, 0, prefix.length, 0);
    const h = parseNpyHeader(prefix.subarray(0, n), file);
    const have = fstatSync(fd).size - h.dataOffset;
    if (have !== h.dataBytes) {
      throw new NodeUserError(
        `${file}: ${have < h.dataBytes ? 'truncated .npy data' : '.npy longer than its header says'}: shape (${h.shape.join(', ')}) ${h.dtype} needs ${h.dataBytes} bytes, file has ${have}`,
      );
    }
    return h;
  } finally {
    closeSync(fd);
  }
}

/** Reads rows [start, end) along the first axis without loading the rest of the file. */
export function readNpyRows(file: string, start: number, end: number): NpyArray {
  const h = readNpyHeader(file);
  const rows = h.shape[0] ?? 0;
  if (start < 0 || end > rows || start > end) {
    throw new NodeUserError(`${file}: rows ${start}..${end} asked, file has ${rows}`);
  }
  const rowBytes = (h.dataBytes / Math.max(rows, 1)) | 0;
  const buf = Buffer.alloc((end - start) * rowBytes);
  const fd = openSync(file, 'r');
  try {
    const n = readSync(fd, buf, 0, buf.length, h.dataOffset + start * rowBytes);
    if (n < buf.length) {
      throw new NodeUserError(`${file}: truncated .npy data (shape (${h.shape.join(', ')}) ${h.dtype}; rows ${start}..${end} not all present)`);
    }
  } finally {
    closeSync(fd);
  }
  return { dtype: h.dtype, shape: [end - start, ...h.shape.slice(1)], data: typedFromHeader(h, buf, file) };
}

function headerText(dtype: NpyDtype, shape: readonly number[]): string {
  const descr = dtype === 'uint8' ? '|u1' : dtype === 'int32' ? '<i4' : '<f4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
}

export function encodeNpy(arr: NpyArray): Buffer {
  if (elementCount(arr.shape) !== arr.data.length) {
    throw new Error(`encodeNpy: shape (${arr.shape.join(', ')}) does not match ${arr.data.length} elements`);
  }
  let text = headerText(arr.dtype, arr.shape);
  // Pad so the data starts on a 64-byte boundary, as NumPy does (lets readers memory-map aligned).
  let version = 1;
  let prefixLen = 10;
  let total = prefixLen + text.length + 1;
  if (Math.ceil(total / 64) * 64 - prefixLen > 0xffff) {
    version = 2;
    prefixLen = 12;
    total = prefixLen + text.length + 1;
  }
  const padded = Math.ceil(total / 64) * 64;
  text = text + ' '.repeat(padded - total) + '\n';
  const head = Buffer.alloc(prefixLen);
  MAGIC.copy(head, 0);
  head[6] = version;
  head[7] = 0;
  if (version === 1) head.writeUInt16LE(text.length, 8);
  else head.writeUInt32LE(text.length, 8);
  const body = Buffer.from(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  return Buffer.concat([head, Buffer.from(text, 'latin1'), body]);
}

/** Writes atomically (temp file + rename) so a killed stage never leaves half an array. */
export function writeNpy(file: string, arr: NpyArray): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, encodeNpy(arr));
  renameSync(tmp, file);
}

/** An image stack (N,H,W) from (N,H*W) or (N,H,W) uint8; `side` is inferred for square images. */
export function asImageStack(arr: NpyArray, source: string): NpyArray<'uint8'> {
  if (arr.dtype !== 'uint8') {
    throw new NodeUserError(`${source}: images must be uint8, got ${arr.dtype} with shape (${arr.shape.join(', ')})`);
  }
  if (arr.shape.length === 3) return arr as NpyArray<'uint8'>;
  if (arr.shape.length === 2) {
    const [n, flat] = arr.shape as [number, number];
    const side = Math.round(Math.sqrt(flat));
    if (side * side === flat) return { dtype: 'uint8', shape: [n, side, side], data: arr.data as Uint8Array };
  }
  throw new NodeUserError(
    `${source}: images must have shape (N, H*W) with square H*W or (N, H, W), got (${arr.shape.join(', ')})`,
  );
}

/** Labels as int32 (N,); int64 label files are the common mistake, so the message says how to fix it. */
export function asLabels(arr: NpyArray, source: string, expectedRows?: number): Int32Array {
  if (arr.dtype !== 'int32' || arr.shape.length !== 1) {
    throw new NodeUserError(
      `${source}: labels must be int32 with shape (N,), got ${arr.dtype} (${arr.shape.join(', ')}); save with labels.astype(np.int32)`,
    );
  }
  if (expectedRows !== undefined && arr.shape[0] !== expectedRows) {
    throw new NodeUserError(`${source}: ${arr.shape[0]} labels for ${expectedRows} images`);
  }
  return arr.data as Int32Array;
}
