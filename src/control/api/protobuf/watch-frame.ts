/**
 * Watch events as `application/vnd.kubernetes.protobuf;stream=watch`, the framing upstream's watch handler
 * writes: each event is a 4-byte big-endian length, then a meta/v1 WatchEvent message (1: type, 2: object as a
 * RawExtension whose raw bytes are the object's full protobuf envelope, "k8s\0" + runtime.Unknown). The event
 * itself carries no envelope: the stream serializer is the raw one, only the embedded object has it.
 */
import { encodeProtobuf } from './encode.js';
import { messageOfKind } from './table.js';
import { ProtoWriter } from './writer.js';

export const PROTOBUF_WATCH_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf;stream=watch';

/** One framed event; throws NotEncodable (from encodeProtobuf) when the object has no lossless wire form. */
export function watchEventFrame(type: string, object: unknown, envelope: Buffer = encodeProtobuf(object)): Buffer {
  const event = new ProtoWriter();
  event.string(1, type);
  event.message(2, (raw) => raw.bytes(1, envelope));
  const body = event.finish();
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** Whether a watch of this kind can be framed in protobuf: its objects, and the Status of an ERROR event, have a wire form. */
export function watchEncodable(apiVersion: string, kind: string): boolean {
  return messageOfKind(apiVersion, kind) !== undefined && messageOfKind('v1', 'Status') !== undefined;
}
