export * from "./protocol/index.js";
export * from "./decoders/index.js";
