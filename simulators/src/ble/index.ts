export * from "./ble-run.js";
export * from "./ble-source.js";
export * from "./ble-thermometer.js";
