export * from "./decoders/index.js";
export * from "./protocol/index.js";
