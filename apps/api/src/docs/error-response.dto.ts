import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

// The contract's error shape, `{"error": {"code", "message", "details"?}}`, as OpenAPI components.

@ApiSchema({ name: 'ErrorDetail', description: 'One problem: the field, and the item index in a bulk request' })
export class ErrorDetailDto {
  @ApiPropertyOptional({ type: 'integer', description: 'Index of the bad item in a bulk request', example: 2 })
  index?: number;

  @ApiPropertyOptional({ type: String, example: 'wallet_address' })
  field?: string;

  @ApiProperty({ type: String, example: 'wallet_address fails its EIP-55 checksum (mixed case must match it; all lower or all upper case carries none)' })
  message: string;

  @ApiPropertyOptional({ type: String, description: 'On run_in_progress: the active run', example: '5f0c1f9e-2b7a-4c53-9d3e-8a1b2c3d4e5f' })
  run_id?: string;
}

@ApiSchema({ name: 'ErrorBody' })
export class ErrorBodyDto {
  @ApiProperty({ type: String, description: 'Stable snake_case code: branch on it, not on the message', example: 'validation_failed' })
  code: string;

  @ApiProperty({ type: String, description: 'Human text; never a stack trace', example: 'The customer is invalid' })
  message: string;

  @ApiPropertyOptional({ type: () => [ErrorDetailDto], description: 'Present when there is more to say, e.g. every bad field' })
  details?: ErrorDetailDto[];
}

@ApiSchema({ name: 'Error', description: 'Every error the API answers, whatever its status' })
export class ErrorResponseDto {
  @ApiProperty({ type: () => ErrorBodyDto })
  error: ErrorBodyDto;
}
