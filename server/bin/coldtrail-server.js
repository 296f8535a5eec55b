#!/usr/bin/env node
// Runs the coldtrail server from its TypeScript sources (tsx compiles them on the fly).
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
