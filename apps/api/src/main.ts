import { ConfigError, loadConfig } from '@app/config';
import { enableGracefulShutdown } from '@app/observability';
import { createApiApp } from './api-app';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApiApp(config);
  // SIGTERM: drain requests, close connections, exit 0 (or 1 after SHUTDOWN_TIMEOUT_MS).
  enableGracefulShutdown(app, config.shutdownTimeoutMs);
  await app.listen(config.port);
}

main().catch((error: unknown) => {
  console.error(`api failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
