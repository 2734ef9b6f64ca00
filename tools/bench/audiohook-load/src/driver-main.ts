// Entry point of the driver process (spawned by main.ts).
import { driverMain } from './lib/driver';

driverMain().catch((error: unknown) => {
  process.stderr.write(`driver: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
