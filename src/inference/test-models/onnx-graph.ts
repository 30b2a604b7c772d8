/**
 * A tiny builder for ONNX graphs, enough for the transformer test models. It writes
 * `onnx.ModelProto` through the `onnx-proto` bindings; float initializers go in `raw_data`
 * (little-endian) so the bytes depend only on the weights. A builder for a float16 graph stores
 * its float initializers as float16, the way ONNX Runtime's float16 converter does.
 */
import onnxProto from 'onnx-proto'
import { float16Bits, toFloat16Range } from './float16.ts'

const { onnx } = onnxProto

export type Dim = number | string
export type AttrValue = number | number[] | { float: number } | { floats: number[] }
export type ElemType = 'float32' | 'float16' | 'int64' | 'bool' | 'uint8'
/** The float type a graph computes in (its float initializers' type). */
export type FloatType = 'float32' | 'float16'

/** ONNX TensorProto.DataType numbers (also what `Cast`'s `to` takes). */
export const ELEM: Record<ElemType, number> = { float32: 1, int64: 7, bool: 9, uint8: 2, float16: 10 }

/** ONNX Runtime's contrib operator domain (MatMulNBits and friends). */
export const MS_DOMAIN = 'com.microsoft'

function valueInfo(name: string, type: ElemType, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  }
}

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType
  if (typeof value === 'number') return { name, type: T.INT, i: value }
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value }
  if ('float' in value) return { name, type: T.FLOAT, f: value.float }
  return { name, type: T.FLOATS, floats: value.floats }
}

/** float16 little-endian bytes of `data`, clamped into the converter's range first (see toFloat16Range) unless `clamp` is false. */
function float16Bytes(data: Float32Array, clamp: boolean): Uint8Array {
  const out = new Uint8Array(data.length * 2)
  const view = new DataView(out.buffer)
  data.forEach((v, i) => view.setUint16(i * 2, float16Bits(clamp ? toFloat16Range(v) : v), true))
  return out
}

function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  const out = new Uint8Array(data.byteLength)
  const view = new DataView(out.buffer)
  if (data instanceof Float32Array) data.forEach((v, i) => view.setFloat32(i * 4, v, true))
  else data.forEach((v, i) => view.setBigInt64(i * 8, v, true))
  return out
}

/** Collects nodes and initializers; `op` returns the output name so graphs read like code. */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = []
  private readonly initializers: onnxProto.onnx.ITensorProto[] = []
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = []
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = []
  private readonly domains = new Set<string>()
  private counter = 0

  /** `floatType` float16: every float initializer (weights, scalars, scales) is stored as float16. */
  constructor(readonly floatType: FloatType = 'float32') {}

  private floatTensor(name: string, dims: number[], data: Float32Array, clamp = true): onnxProto.onnx.ITensorProto {
    return this.floatType === 'float16'
      ? { name, dims, dataType: ELEM.float16, rawData: float16Bytes(data, clamp) }
      : { name, dims, dataType: ELEM.float32, rawData: littleEndianBytes(data) }
  }

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims))
    return name
  }

  output(name: string, type: ElemType, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims))
  }

  /** Adds a float initializer (of the graph's float type) of the given shape. */
  weight(name: string, dims: number[], data: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1)
    if (data.length !== size) throw new Error(`weight ${name}: ${data.length} values for shape [${dims}]`)
    this.initializers.push(this.floatTensor(name, dims, data))
    return name
  }

  /** Adds a uint8 initializer (quantized weights, zero points). */
  uint8(name: string, dims: number[], data: Uint8Array): string {
    const size = dims.reduce((a, b) => a * b, 1)
    if (data.length !== size) throw new Error(`uint8 tensor ${name}: ${data.length} values for shape [${dims}]`)
    this.initializers.push({ name, dims, dataType: ELEM.uint8, rawData: data })
    return name
  }

  /** Adds float quantization scales (of the graph's float type), stored exactly as given: no range clamp. */
  scales(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push(this.floatTensor(name, dims, data, false))
    return name
  }

  /** Adds a named float scalar (a quantization scale). */
  namedScalar(name: string, value: number): string {
    this.initializers.push(this.floatTensor(name, [], Float32Array.of(value)))
    return name
  }

  /** Adds an int64 constant (a shape, axes, an index). */
  int64(values: number[], dims: number[] = [values.length]): string {
    const name = `const_i64_${this.counter++}`
    const data = BigInt64Array.from(values.map((v) => BigInt(v)))
    this.initializers.push({ name, dims, dataType: ELEM.int64, rawData: littleEndianBytes(data) })
    return name
  }

  /** Adds a float scalar constant (of the graph's float type). */
  scalar(value: number): string {
    const name = `const_f32_${this.counter++}`
    this.initializers.push(this.floatTensor(name, [], Float32Array.of(value)))
    return name
  }

  /** Appends one node; `out` names its output (else a fresh name); `domain` for contrib operators. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string, domain?: string): string {
    const output = out ?? `${opType.toLowerCase()}_${this.counter++}`
    this.nodes.push({
      opType,
      input: inputs,
      output: [output],
      name: `${opType}_${this.counter++}`,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      ...(domain === undefined ? {} : { domain }),
    })
    if (domain !== undefined) this.domains.add(domain)
    return output
  }

  /** Appends one node with several named outputs (e.g. DynamicQuantizeLinear). */
  node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): void {
    this.nodes.push({ opType, input: inputs, output: outputs, name: `${opType}_${this.counter++}`, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) })
  }

  /** Serialises the graph as an ONNX model (IR 8, default opset 17; version 1 of any contrib domain used). */
  encode(graphName: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'webtensor',
      producerVersion: '1',
      opsetImport: [{ domain: '', version: 17 }, ...[...this.domains].sort().map((domain) => ({ domain, version: 1 }))],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    })
    return onnx.ModelProto.encode(model).finish()
  }
}
