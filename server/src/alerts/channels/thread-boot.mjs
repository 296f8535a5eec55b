// Entry of the delivery thread (thread.ts): tsx compiles thread-worker.ts and what it imports, as it
// compiles the server's own sources, so the thread runs the same under node, tsx and vitest.
import { register } from "tsx/esm/api";

register();
await import("./thread-worker.ts");
