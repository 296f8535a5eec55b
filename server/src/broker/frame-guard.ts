/**
 * Follows MQTT packet boundaries in a byte stream from the fixed headers alone (MQTT 3.1.1
 * §2.2: one byte of type and flags, then the remaining length in 1-4 bytes of 7 bits), so a packet
 * announcing more than `maxPacketBytes` is refused before its body arrives.
 */
export type FrameVerdict = { ok: true } | { ok: false; reason: string };

export function createFrameGuard(maxPacketBytes: number) {
  // "type": next byte is a packet's first byte; "length": in the remaining length; "body": skipping.
  let state: "type" | "length" | "body" = "type";
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  let left = 0;
  return {
    /** Whether the next byte fed starts a packet (every byte so far belongs to whole packets). */
    atPacketStart(): boolean {
      return state === "type";
    },
    feed(chunk: Uint8Array): FrameVerdict {
      let i = 0;
      while (i < chunk.length) {
        if (state === "body") {
          const skip = Math.min(left, chunk.length - i);
          left -= skip;
          i += skip;
          if (left === 0) state = "type";
          continue;
        }
        const byte = chunk[i++] as number;
        if (state === "type") {
          state = "length";
          length = 0;
          multiplier = 1;
          lengthBytes = 0;
          continue;
        }
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        lengthBytes++;
        const packetBytes = 1 + lengthBytes + length;
        if (packetBytes > maxPacketBytes) {
          return {
            ok: false,
            reason: `packet of at least ${packetBytes} bytes announced; the limit is ${maxPacketBytes} bytes (send at most 500 readings a message)`,
          };
        }
        if (byte & 0x80) {
          if (lengthBytes === 4)
            return { ok: false, reason: "malformed remaining length (more than 4 bytes)" };
          continue;
        }
        left = length;
        state = left === 0 ? "type" : "body";
      }
      return { ok: true };
    },
  };
}
