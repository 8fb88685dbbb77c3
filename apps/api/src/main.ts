import { everyInterface } from '@app/common';
import { loadConfigOrExit } from '@app/config';
import { enableGracefulShutdown } from '@app/observability';
import { createApiApp } from './api-app';

async function main(): Promise<void> {
  const config = loadConfigOrExit('api');
  const app = await createApiApp(config);
  enableGracefulShutdown(app, config.shutdownTimeoutMs, 'api');
  await app.listen(config.port, everyInterface());
}

main().catch((error: unknown) => {
  console.error(`api failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
