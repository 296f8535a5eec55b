#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: tsx's loader is registered, then the .ts entry imported.
// tsx resolves from this file's location, so the bin works from any working directory.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
