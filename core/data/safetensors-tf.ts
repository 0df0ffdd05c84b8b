import * as tf from '@tensorflow/tfjs-core';
import { decodeFloat16, encodeFloat16 } from './float16.ts';
import { loadSafetensors, saveSafetensors, type SafeTensor, type SafeTensors } from './safetensors.ts';
import { UserError } from '../util/errors.ts';

/**
 * {name: tf.Tensor} <-> safetensors records. tfjs has float32, int32 and bool (no uint8, no float16):
 * F16 and U8 load as float32 and int32; `half: true` stores float32 tensors as F16 (halves the file).
 */

export interface ToRecordsOptions {
  /** Store float32 tensors as F16. */
  half?: boolean;
}

export async function tensorsToRecords(
  tensors: Record<string, tf.Tensor>,
  opts: ToRecordsOptions = {},
): Promise<SafeTensors> {
  const out: SafeTensors = {};
  for (const [name, t] of Object.entries(tensors)) {
    const shape = [...t.shape];
    switch (t.dtype) {
      case 'float32': {
        const data = (await t.data()) as Float32Array;
        out[name] = opts.half
          ? { dtype: 'F16', shape, data: encodeFloat16(data) }
          : { dtype: 'F32', shape, data: Float32Array.from(data) };
        break;
      }
      case 'int32':
        out[name] = { dtype: 'I32', shape, data: Int32Array.from((await t.data()) as Int32Array) };
        break;
      case 'bool':
        out[name] = { dtype: 'BOOL', shape, data: Uint8Array.from((await t.data()) as Uint8Array, (v) => (v ? 1 : 0)) };
        break;
      default:
        throw new UserError(`safetensors: tensor '${name}' has tfjs dtype ${t.dtype}, expected float32, int32 or bool`);
    }
  }
  return out;
}

export function recordToTensor(r: SafeTensor): tf.Tensor {
  switch (r.dtype) {
    case 'F32':
      return tf.tensor(r.data as Float32Array, r.shape, 'float32');
    case 'F16':
      return tf.tensor(decodeFloat16(r.data as Uint16Array), r.shape, 'float32');
    case 'I32':
      return tf.tensor(r.data as Int32Array, r.shape, 'int32');
    case 'U8':
      return tf.tensor(Int32Array.from(r.data as Uint8Array), r.shape, 'int32');
    case 'BOOL':
      return tf.tensor(r.data as Uint8Array, r.shape, 'bool');
  }
}

/** Caller owns (and disposes) the returned tensors. */
export function recordsToTensors(records: SafeTensors): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, r] of Object.entries(records)) out[name] = recordToTensor(r);
  return out;
}

export async function saveTensors(
  path: string,
  tensors: Record<string, tf.Tensor>,
  metadata: Record<string, string> = {},
  opts: ToRecordsOptions = {},
): Promise<void> {
  saveSafetensors(path, await tensorsToRecords(tensors, opts), metadata);
}

/** Validates the whole file before creating any tensor. */
export function loadTensors(path: string): { tensors: Record<string, tf.Tensor>; metadata: Record<string, string> } {
  const f = loadSafetensors(path);
  return { tensors: recordsToTensors(f.tensors), metadata: f.metadata };
}
