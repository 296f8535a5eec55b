/** Subcommand dispatch for `coldtrail-bridge`; pure apart from the injected output. */
import { type CliIo, DECODE_USAGE, EXIT_OK, EXIT_USAGE, runDecode } from "./decode-command.js";

export const USAGE = `coldtrail-bridge <command>

Commands:
  decode   decode one BLE thermometer advertisement to JSON (coldtrail-bridge decode --help)
  gateway  scan BLE thermometers and publish their readings to coldtrail (coldtrail-bridge gateway --help)

${DECODE_USAGE}`;

export function runCli(argv: readonly string[], io: CliIo): number {
  const [command, ...rest] = argv;
  if (command === "decode") return runDecode(rest, io);
  if (command === "--help" || command === "-h" || command === "help") {
    io.out(USAGE);
    return EXIT_OK;
  }
  io.err(
    command === undefined
      ? "coldtrail-bridge: no command given; try: coldtrail-bridge decode --help"
      : `coldtrail-bridge: unknown command "${command}"; the commands are: decode, gateway`,
  );
  return EXIT_USAGE;
}
