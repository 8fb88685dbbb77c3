export { AppError, ERROR_STATUS, ErrorCode, ErrorDetail } from './app-error';
export { csvField } from './csv';
export { isUuid } from './uuid';
