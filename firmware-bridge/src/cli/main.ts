/** Process entry for the `coldtrail-bridge` bin: argv in, exit code out. */
import { runCli } from "./cli.js";

process.exitCode = runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
