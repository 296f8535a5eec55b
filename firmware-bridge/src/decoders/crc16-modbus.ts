/** CRC-16/MODBUS (poly 0x8005 reflected = 0xA001, init 0xFFFF, no final XOR); Inkbird IBS-TH checks with it. */
export function crc16Modbus(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}
