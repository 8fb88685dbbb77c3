export { bullPrefix, createRedis } from './redis';
