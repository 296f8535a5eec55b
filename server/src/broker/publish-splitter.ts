/**
 * The fast path for the packets a connection gets most: PUBLISHes that are QoS 0 or 1 and carry no
 * MQTT 5 properties are cut out of the byte stream here and handed over as they are, without a
 * packet object, a BufferList copy, debug logging or a process.nextTick per packet. Every other
 * packet goes on as bytes, in order, to the MQTT library that would have parsed them all, which
 * handles it as it would without this. After the first packet this cannot frame (a Remaining
 * Length of more than 4 bytes), everything goes on, and the library refuses it with its own error.
 *
 * Two users: an external broker's ingest connection (`splitPublishes` below, before mqtt.js: what
 * Mosquitto delivers from a probe) and the embedded broker's probe connections (guarded-socket.ts,
 * before aedes, for the readings `takes` accepts).
 *
 * MQTT 3.1.1 and 5, 2.2 (fixed header), 3.3 (PUBLISH).
 */

/** A PUBLISH taken by the fast path: the fields the ingest connection reads. */
export interface FastPublish {
  topic: string;
  /** A view into the socket's chunk: no copy. */
  payload: Buffer;
  qos: 0 | 1;
  /** Present for QoS 1. */
  messageId: number | undefined;
  retain: boolean;
}

/** PUBLISH's packet type, in the fixed header's high nibble (2.2.1). */
const PUBLISH = 3;

export class PublishSplitter {
  /** Bytes read and not handled yet: from `#at` on, a packet not complete or not yet taken. */
  #buf: Buffer | null = null;
  #at = 0;
  /** Once a packet could not be framed, everything goes to mqtt.js. */
  #passAll = false;

  /**
   * @param takes asked of each PUBLISH the fast path could take: false leaves it in the bytes
   *   passed on. Asked once a packet, unless the packet is then held (and asked again on `resume`).
   * @param mayTake asked before each fast-path PUBLISH it takes: false holds it (and all after it)
   *   until `resume`.
   */
  constructor(
    private readonly protocolVersion: 4 | 5,
    private readonly onPublish: (p: FastPublish) => void,
    private readonly passOn: (bytes: Buffer) => void,
    private readonly mayTake: () => boolean = () => true,
    private readonly takes: (p: FastPublish) => boolean = () => true,
  ) {}

  /** Takes the next bytes read from the broker. False when a PUBLISH is held: call `resume` later. */
  push(chunk: Buffer): boolean {
    if (this.#passAll) {
      this.passOn(chunk);
      return true;
    }
    if (this.#buf && this.#at < this.#buf.length) {
      this.#buf = Buffer.concat([this.#buf.subarray(this.#at), chunk]);
    } else this.#buf = chunk;
    this.#at = 0;
    return this.resume();
  }

  /** Handles what is held, as far as `mayTake` lets it. False while a PUBLISH is still held. */
  resume(): boolean {
    const buf = this.#buf;
    if (!buf) return true;
    let at = this.#at;
    /** Start of bytes not yet handled that go to mqtt.js together. */
    let passFrom = -1;
    const end = buf.length;
    let held = false;
    while (at < end) {
      const start = at;
      if (end - at < 2) break;
      // Remaining Length: 1 to 4 bytes, 7 bits each, low first (2.2.3).
      let length = 0;
      let multiplier = 1;
      let i = at + 1;
      let complete = false;
      for (let k = 0; k < 4 && i < end; k++) {
        const b = buf[i++] as number;
        length += (b & 0x7f) * multiplier;
        multiplier *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (i - (at + 1) >= 4) {
          // Malformed: let mqtt.js refuse it.
          this.#passAll = true;
          this.#buf = null;
          this.passOn(buf.subarray(passFrom >= 0 ? passFrom : start));
          return true;
        }
        break; // the length's bytes are not all here yet
      }
      const bodyAt = i;
      const next = bodyAt + length;
      if (next > end) break; // the packet is not all here yet
      const fast = this.#fast(buf, buf[start] as number, bodyAt, next);
      if (fast && this.takes(fast)) {
        if (passFrom >= 0) {
          this.passOn(buf.subarray(passFrom, start));
          passFrom = -1;
        }
        if (!this.mayTake()) {
          held = true;
          break;
        }
        this.onPublish(fast);
      } else if (passFrom < 0) passFrom = start;
      at = next;
    }
    if (passFrom >= 0) this.passOn(buf.subarray(passFrom, at));
    if (at < end) {
      this.#buf = buf;
      this.#at = at;
    } else this.#buf = null;
    return !held;
  }

  /** The PUBLISH in buf[bodyAt, next) when the fast path takes it, else null. */
  #fast(buf: Buffer, header: number, bodyAt: number, next: number): FastPublish | null {
    if (header >> 4 !== PUBLISH) return null;
    const qos = (header >> 1) & 3;
    if (qos > 1) return null;
    let at = bodyAt;
    if (next - at < 2) return null;
    const topicLength = buf.readUInt16BE(at);
    at += 2;
    if (topicLength === 0 || at + topicLength > next) return null;
    const topic = buf.toString("utf8", at, at + topicLength);
    at += topicLength;
    let messageId: number | undefined;
    if (qos === 1) {
      if (at + 2 > next) return null;
      messageId = buf.readUInt16BE(at);
      if (messageId === 0) return null;
      at += 2;
    }
    if (this.protocolVersion === 5) {
      // Property Length 0: one zero byte. Anything else (a topic alias, user properties) is mqtt.js's.
      if (at >= next || buf[at] !== 0) return null;
      at += 1;
    }
    return {
      topic,
      payload: buf.subarray(at, next),
      qos: qos as 0 | 1,
      messageId,
      retain: (header & 1) === 1,
    };
  }
}

/**
 * `stream` (an ingest connection's socket, as mqtt.js built it) with its PUBLISHes split off:
 * mqtt.js reads its stream with one `pipe` into its packet parser, so that `pipe` is replaced by
 * one that sends the bytes through a PublishSplitter, gives fast-path PUBLISHes to `onPublish`, and
 * writes the rest to mqtt.js's parser. Reading pauses while mqtt.js's parser is behind, and while
 * `mayTake` is false: then `whenMayTake(resume)` is to call `resume` once it may be true again.
 * The socket itself stays mqtt.js's stream: writes, `end`, `destroy` and its events are untouched.
 */
export function splitPublishes<S extends NodeJS.ReadableStream>(
  stream: S,
  protocolVersion: 4 | 5,
  onPublish: (p: FastPublish) => void,
  mayTake: () => boolean,
  whenMayTake: (resume: () => void) => void,
): S {
  let holds = 0;
  const hold = () => {
    if (holds++ === 0) stream.pause();
  };
  const release = () => {
    if (--holds === 0) stream.resume();
  };
  stream.pipe = <T extends NodeJS.WritableStream>(dest: T): T => {
    const splitter = new PublishSplitter(
      protocolVersion,
      onPublish,
      (bytes) => {
        if (!dest.write(bytes)) {
          hold();
          dest.once("drain", release);
        }
      },
      mayTake,
    );
    // What is still held when the connection closes is dropped, as mqtt.js drops the parsed
    // packets of a closed connection: the broker sends them again on the next one.
    let closed = false;
    stream.once("close", () => {
      closed = true;
    });
    const takeHeld = () => {
      if (closed || (stream as { destroyed?: boolean }).destroyed) return;
      if (splitter.resume()) release();
      else whenMayTake(takeHeld);
    };
    stream.on("data", (chunk: Buffer) => {
      if (splitter.push(chunk)) return;
      hold();
      whenMayTake(takeHeld);
    });
    stream.once("end", () => dest.end());
    return dest;
  };
  return stream;
}
