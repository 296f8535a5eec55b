#!/usr/bin/env -S node --max-semi-space-size=64
// Runs the coldtrail server from its TypeScript sources (tsx compiles them on the fly), with a
// young generation of 64 MiB (see deploy/Dockerfile).
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
