/** ONNX model `y = Identity(x)`, x and y float32 [1] (IR 8, opset 17), as `GraphBuilder` writes it (checked in warmup-model.test.ts). */
export const WARMUP_MODEL_BASE64 = 'CAgSCXdlYnRlbnNvchoBMTpIChwKAXgSAXkaCklkZW50aXR5XzAiCElkZW50aXR5EgZ3YXJtdXBaDwoBeBIKCggIARIECgIIAWIPCgF5EgoKCAgBEgQKAggBQgQKABAR'
