// A model file's metadata_props without decoding its graph (and weights): the top-level fields of
// ModelProto are walked, and only field 14 (metadata_props) is decoded.
import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs/minimal.js';

const METADATA_PROPS = 14;

export function onnxMetadata(bytes: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === METADATA_PROPS && (tag & 7) === 2) {
      const e = onnxProto.onnx.StringStringEntryProto.decode(r.bytes());
      out.set(e.key ?? '', e.value ?? '');
    } else r.skipType(tag & 7);
  }
  return out;
}
