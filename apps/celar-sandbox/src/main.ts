import { loadConfigOrExit } from '@app/config';
import { createSandboxApp, nestLogLevels } from '@app/celar-sandbox';

async function main(): Promise<void> {
  const config = loadConfigOrExit('sandbox');
  const app = await createSandboxApp({ apiKeys: [config.celar.apiKey], logger: nestLogLevels(config.logLevel) });
  app.enableShutdownHooks();
  // Loopback by default: the control API has no key (docker sets SANDBOX_HOST=0.0.0.0 inside its network).
  await app.listen(config.sandboxPort, config.sandboxHost);
  if (!['silent', 'fatal', 'error', 'warn'].includes(config.logLevel)) {
    console.log(`Celar sandbox listening on ${config.sandboxHost}:${config.sandboxPort}: API at /api/v1, control at /_control`);
  }
}

main().catch((error: unknown) => {
  console.error(`celar-sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
