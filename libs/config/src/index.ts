export { AppConfig, ConfigError, loadConfig, PROCESS_SETTINGS, ProcessName, RedisNode, SETTINGS, SettingName } from './app-config';
export { APP_CONFIG, ConfigModule } from './config.module';
export { parseByteSize, parseInterval } from './duration';
export { loadConfigOrExit } from './load-or-exit';
