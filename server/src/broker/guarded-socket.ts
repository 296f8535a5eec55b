import type { Socket } from "node:net";
import { Duplex } from "node:stream";
import { createFrameGuard } from "./frame-guard.js";
import { type FastPublish, PublishSplitter } from "./publish-splitter.js";

/** PUBLISHes taken out of the bytes before aedes reads them (the embedded broker's fast path). */
export interface TakenPublishes {
  /**
   * Whether to start looking for PUBLISHes to take (once the connection is logged in). Until then
   * every byte goes to aedes unexamined: the CONNECT, and whatever a client that is not MQTT sends.
   */
  ready(): boolean;
  /** Whether this PUBLISH is taken; false leaves it in the bytes aedes reads. */
  takes(p: FastPublish): boolean;
  /** A PUBLISH `takes` took. */
  onPublish(p: FastPublish): void;
}

/**
 * The stream aedes reads a connection from: the socket's bytes, passed on only while every MQTT
 * packet in them announces at most `maxPacketBytes`. On the first that announces more, the socket
 * is destroyed before its body is read (mqtt-packet itself would buffer it whole) and
 * `onRefused` is told why. With `taken`, the PUBLISHes it takes never reach aedes
 * (publish-splitter.ts; MQTT 3.1.1 framing, the only version aedes speaks).
 */
export class GuardedSocket extends Duplex {
  readonly socket: Socket;
  /**
   * The socket was paused because this stream's buffer was full. `_read` resumes it only then:
   * `resume()` on a flowing socket still queues a tick and a read of it, on every read aedes makes
   * (issue #12).
   */
  #socketPaused = false;

  constructor(
    socket: Socket,
    maxPacketBytes: number,
    onRefused: (reason: string) => void,
    taken?: TakenPublishes,
  ) {
    super({ allowHalfOpen: false });
    this.socket = socket;
    const guard = createFrameGuard(maxPacketBytes);
    const passOn = (bytes: Buffer) => {
      if (!this.push(bytes) && !this.#socketPaused) {
        this.#socketPaused = true;
        socket.pause();
      }
    };
    const splitter = taken
      ? new PublishSplitter(4, taken.onPublish, passOn, undefined, taken.takes)
      : undefined;
    let splitting = false;
    socket.on("data", (chunk: Buffer) => {
      // The splitter starts at a packet's first byte, or it would frame the stream wrongly.
      if (splitter && !splitting && guard.atPacketStart() && taken?.ready()) splitting = true;
      const verdict = guard.feed(chunk);
      if (!verdict.ok) {
        onRefused(verdict.reason);
        socket.destroy();
        this.destroy();
        return;
      }
      if (splitting) splitter?.push(chunk);
      else passOn(chunk);
    });
    socket.on("end", () => this.push(null));
    socket.on("error", (err) => this.destroy(err));
    socket.on("close", () => this.destroy());
  }

  override _read(): void {
    if (!this.#socketPaused) return;
    this.#socketPaused = false;
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.socket.destroyed) cb(new Error("connection closed"));
    else this.socket.write(chunk, cb);
  }

  /**
   * A packet that mqtt-packet wrote in pieces (corked) goes out in one socket write: written one by
   * one, Nagle's algorithm would hold the second piece until the device's delayed ACK (~40 ms).
   */
  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    cb: (err?: Error | null) => void,
  ): void {
    if (this.socket.destroyed) cb(new Error("connection closed"));
    else if (chunks.length === 1) this.socket.write((chunks[0] as { chunk: Buffer }).chunk, cb);
    else {
      // Once per PUBACK: no intermediate array.
      let bytes = 0;
      for (const c of chunks) bytes += c.chunk.length;
      const out = Buffer.allocUnsafe(bytes);
      let at = 0;
      for (const c of chunks) at += c.chunk.copy(out, at);
      this.socket.write(out, cb);
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}
