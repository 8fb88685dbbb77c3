import { ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { ExampleObject, ResponseObject } from '@nestjs/swagger';
import { ErrorCode, ErrorDetail } from '@app/common';
import { ErrorResponseDto } from './error-response.dto';

/** One error a route may answer, as the exception filter would send it. */
export interface ErrorExample {
  code: ErrorCode;
  message: string;
  details?: ErrorDetail[];
}

/** A response of the shared Error schema, with one named example per error it may carry. */
export function errorResponse(description: string, examples: ErrorExample[]): ResponseObject {
  const named: Record<string, ExampleObject> = {};
  for (const example of examples) {
    let name: string = example.code;
    for (let n = 2; name in named; n++) name = `${example.code}_${n}`;
    named[name] = { summary: example.message, value: { error: example } };
  }
  return {
    description,
    // Errors are JSON whatever the route produces otherwise (the CSV export included).
    content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponseDto) }, examples: named } },
  };
}

/** Documents an error status of a route (or of every route of a controller) with the Error schema. */
export function ApiErrorResponse(status: number, description: string, ...examples: ErrorExample[]): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, ...errorResponse(description, examples) });
}

// Errors several routes share, with the messages the code that raises them sends.
export const ERRORS = {
  missingKey: { code: 'unauthorized', message: 'Missing API key: send Authorization: Bearer <key>' },
  unknownKey: { code: 'unauthorized', message: 'Unknown API key' },
  notAdmin: { code: 'forbidden', message: 'This route needs an admin API key' },
  databaseDown: { code: 'dependency_down', message: 'The database is unavailable; retry later' },
  tooLarge: { code: 'payload_too_large', message: 'Request body is larger than the limit (BODY_LIMIT)' },
  notJson: { code: 'unsupported_media_type', message: 'Request bodies must be JSON (Content-Type: application/json)' },
  invalidJson: { code: 'invalid_json', message: 'Request body is not valid JSON' },
  customerNotFound: { code: 'not_found', message: 'Customer not found' },
  unknownQueryParam: {
    code: 'validation_failed',
    message: 'Invalid query parameters',
    details: [{ field: 'limit', message: 'limit must be an integer from 1 to 100' }],
  },
} satisfies Record<string, ErrorExample>;
