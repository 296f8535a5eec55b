/** Process entry for the gateway alone (`node --import tsx firmware-bridge/src/gateway/run.ts --config …`). */
import { gatewayCommand } from "./cli.js";

process.exitCode = await gatewayCommand(process.argv.slice(2));
