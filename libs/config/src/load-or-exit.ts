import { AppConfig, ConfigError, loadConfig, ProcessName } from './app-config';

/**
 * A process's start: its settings, or a one-line message naming what is missing or
 * malformed on stderr and exit 1.
 */
export function loadConfigOrExit(processName: ProcessName): AppConfig {
  try {
    return loadConfig(process.env, '.env', processName);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message.replace(/\s*\n\s*/g, ' '));
    process.exit(1);
  }
}
