import { ConfigError, loadConfig } from '@app/config';
import { createSandboxApp, nestLogLevels } from './sandbox-app';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message.replace(/\s*\n\s*/g, ' '));
      process.exit(1);
    }
    throw error;
  }
  const app = await createSandboxApp({ apiKeys: [config.celar.apiKey], logger: nestLogLevels(config.logLevel) });
  app.enableShutdownHooks();
  await app.listen(config.sandboxPort);
  if (!['silent', 'fatal', 'error', 'warn'].includes(config.logLevel)) {
    console.log(`Celar sandbox listening on port ${config.sandboxPort}: API at /api/v1, control at /_control`);
  }
}

main().catch((error: unknown) => {
  console.error(`celar-sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
