/** PUBACK's fixed header byte: packet type 4, no flags (MQTT 3.1.1 and 5, 3.4.1). */
const PUBACK_HEADER = 0x40;
/** Each PUBACK here: header, Remaining Length 2, the packet identifier (two bytes, big-endian). */
const PUBACK_BYTES = 4;

/**
 * The PUBACKs of `messageIds`, in order, as one buffer to write to the broker's socket at once.
 * The same bytes serve MQTT 3.1.1 and 5: MQTT 5 lets a PUBACK leave out its Reason Code and
 * Property Length when the reason is 0x00 Success and there are no properties (3.4.2.1: "the
 * PUBACK has a Remaining Length of 2"). Ids outside 1-65535 are a caller's bug: thrown, never sent.
 */
export function pubackPackets(messageIds: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(messageIds.length * PUBACK_BYTES);
  let at = 0;
  for (const id of messageIds) {
    if (!Number.isInteger(id) || id < 1 || id > 0xffff) {
      throw new RangeError(
        `PUBACK packet identifier must be 1-65535, got ${id}: a received QoS 1 message's id`,
      );
    }
    out[at] = PUBACK_HEADER;
    out[at + 1] = 2;
    out.writeUInt16BE(id, at + 2);
    at += PUBACK_BYTES;
  }
  return out;
}
