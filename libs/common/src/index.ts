export { AppError, ERROR_STATUS, ErrorCode, ErrorDetail } from './app-error';
export { csvField } from './csv';
export { isUuid } from './uuid';
export { hasControlCharacters, isStorableText } from './text';
export { closeRedis } from './redis-close';
export type { ClosableRedis } from './redis-close';
export { QueryReader } from './query-reader';
export { withTimeout } from './with-timeout';
export { IS_PUBLIC, Public } from './public.decorator';
