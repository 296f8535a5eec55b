/** Process entry for the `coldtrail-bridge` bin: argv in, exit code out. */
import { runCli } from "./cli.js";

const [command, ...rest] = process.argv.slice(2);
if (command === "gateway") {
  // Loaded only for the gateway, so that `decode` starts without mqtt and the disk spool.
  process.exitCode = await (await import("../gateway/cli.js")).gatewayCommand(rest);
} else {
  process.exitCode = runCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
