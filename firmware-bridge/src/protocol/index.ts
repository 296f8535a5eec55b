export * from "./decode.js";
export * from "./limits.js";
export * from "./readings.js";
export * from "./status.js";
export * from "./tolerant-decode.js";
export * from "./topics.js";
