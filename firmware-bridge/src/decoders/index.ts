export {
  type BleAdvert,
  type BleDecoder,
  type BleEncoder,
  type BleReading,
  bytesToMac,
  type DecodeResult,
  type EncodeOptions,
  type EncodeResult,
  type EncodeValues,
  type FormatId,
  macToBytes,
  normaliseUuid16,
} from "./advert.js";
export { atc1441, atc1441Encoder } from "./atc1441.js";
export { BTHOME_UUID, bthomeV2, bthomeV2Encoder, parseBthomeObjects } from "./bthome.js";
export * from "./capabilities.js";
export { crc16Modbus } from "./crc16-modbus.js";
export * from "./gateway-json.js";
export { goveeH5074, goveeH5074Encoder } from "./govee-h5074.js";
export { GOVEE_COMPANY_ID, goveeH5075, goveeH5075Encoder } from "./govee-h5075.js";
export { parseHex, toHex } from "./hex.js";
export { INKBIRD_NAMES, inkbirdIbsTh, inkbirdIbsThEncoder } from "./inkbird-ibs-th.js";
export { ENV_SENSING_UUID, pvvx, pvvxEncoder } from "./pvvx.js";
export * from "./registry.js";
export { ruuvi3, ruuvi3Encoder } from "./ruuvi-3.js";
export { RUUVI_COMPANY_ID, ruuvi5, ruuvi5Encoder } from "./ruuvi-5.js";
