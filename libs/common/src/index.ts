export { AppError, ERROR_STATUS, ErrorCode, ErrorDetail } from './app-error';
