import { loadConfigOrExit } from '@app/config';
import { enableGracefulShutdown } from '@app/observability';
import { createApiApp } from './api-app';

async function main(): Promise<void> {
  const config = loadConfigOrExit('api');
  const app = await createApiApp(config);
  enableGracefulShutdown(app, config.shutdownTimeoutMs, 'api');
  // Every interface, as the worker's port: Fastify alone would bind localhost, out of reach of
  // a container's published port and of probes from outside.
  await app.listen(config.port, '0.0.0.0');
}

main().catch((error: unknown) => {
  console.error(`api failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
