import {
  IsDefined,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  ValidateBy,
  ValidateIf,
  ValidationArguments,
  ValidationOptions,
} from 'class-validator';
import { hasControlCharacters } from '@app/common';
import { isIsoAlpha3Country } from './country';
import { CustomerType } from './customer.entity';
import { isValidEvmAddress } from './evm-address';

export const CUSTOMER_TYPES: readonly CustomerType[] = ['individual', 'business'];

/** Celar's pairing of customer type and document type. */
export const DOCUMENT_TYPES: Record<CustomerType, readonly string[]> = {
  individual: ['id_card', 'passport', 'driver_license'],
  business: ['incorporation_certificate'],
};
const ALL_DOCUMENT_TYPES = [...DOCUMENT_TYPES.individual, ...DOCUMENT_TYPES.business];

export function documentTypeFits(type: string, documentType: string): boolean {
  return (DOCUMENT_TYPES[type as CustomerType] ?? []).includes(documentType);
}

function IsCleanText(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCleanText',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && value.trim().length > 0 && !hasControlCharacters(value),
        defaultMessage: (args?: ValidationArguments) => `${args?.property} must not be blank or contain control characters`,
      },
    },
    options,
  );
}

function IsIsoCountry(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIsoCountry',
      validator: {
        validate: (value: unknown) => isIsoAlpha3Country(value),
        defaultMessage: () => 'country must be an ISO 3166-1 alpha-3 code in upper case, e.g. KEN',
      },
    },
    options,
  );
}

function IsEvmAddress(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEvmAddress',
      validator: {
        validate: (value: unknown) => isValidEvmAddress(value),
        defaultMessage: (args?: ValidationArguments) =>
          typeof args?.value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(args.value)
            ? 'wallet_address fails its EIP-55 checksum (mixed case must match it; all lower or all upper case carries none)'
            : 'wallet_address must be an EVM address: 0x followed by 40 hex digits',
      },
    },
    options,
  );
}

/** document_type must be one Celar pairs with the object's `type` (any known one when `type` is itself invalid). */
function FitsCustomerType(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'fitsCustomerType',
      validator: {
        validate: (value: unknown, args?: ValidationArguments) => {
          const type = (args?.object as { type?: unknown }).type;
          if (typeof value !== 'string') return false;
          if (typeof type === 'string' && type in DOCUMENT_TYPES) return documentTypeFits(type, value);
          return ALL_DOCUMENT_TYPES.includes(value);
        },
        defaultMessage: (args?: ValidationArguments) => {
          const type = (args?.object as { type?: unknown }).type;
          return typeof type === 'string' && type in DOCUMENT_TYPES
            ? `document_type of a ${type} customer must be one of ${DOCUMENT_TYPES[type as CustomerType].join(', ')}`
            : `document_type must be one of ${ALL_DOCUMENT_TYPES.join(', ')}`;
        },
      },
    },
    options,
  );
}

// Decorators run bottom-up and validation stops at a field's first error, so the basic
// checks sit at the bottom.

/** One customer of a create request, as Celar's docs define it. */
export class CreateCustomerDto {
  @IsIn(CUSTOMER_TYPES, { message: 'type must be one of individual, business' })
  @IsDefined({ message: 'type is required' })
  type: CustomerType;

  @MaxLength(200)
  @IsCleanText()
  @IsString()
  @IsDefined({ message: 'name is required' })
  name: string;

  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  @IsString()
  @IsDefined({ message: 'email is required' })
  email: string;

  @IsIsoCountry()
  @IsString()
  @IsDefined({ message: 'country is required' })
  country: string;

  @FitsCustomerType()
  @IsString()
  @IsDefined({ message: 'document_type is required' })
  document_type: string;

  @MaxLength(500)
  @IsCleanText()
  @IsString()
  @IsOptional()
  address?: string | null;

  @MaxLength(64)
  @IsCleanText()
  @IsString()
  @IsOptional()
  tax_id?: string | null;

  @IsEvmAddress()
  @IsString()
  @IsOptional()
  wallet_address?: string | null;
}

const present = (_: object, value: unknown) => value !== undefined;

/** A PATCH: the fields Celar lets change, each validated as on create; null is refused (nothing is cleared). */
export class UpdateCustomerDto {
  @MaxLength(200)
  @IsCleanText()
  @IsString()
  @ValidateIf(present)
  name?: string;

  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  @IsString()
  @ValidateIf(present)
  email?: string;

  @MaxLength(500)
  @IsCleanText()
  @IsString()
  @ValidateIf(present)
  address?: string;

  @IsEvmAddress()
  @IsString()
  @ValidateIf(present)
  wallet_address?: string;

  // Checked against the customer's type by the service, which knows it.
  @IsIn(ALL_DOCUMENT_TYPES, { message: `document_type must be one of ${ALL_DOCUMENT_TYPES.join(', ')}` })
  @IsString()
  @ValidateIf(present)
  document_type?: string;
}

export const CREATE_FIELDS = ['type', 'name', 'email', 'country', 'document_type', 'address', 'tax_id', 'wallet_address'] as const;
export const UPDATE_FIELDS = ['name', 'email', 'address', 'wallet_address', 'document_type'] as const;
/** Set only by a document upload in Celar's Dashboard: the API refuses them, reconciliation pulls them in. */
export const DOCUMENT_FIELDS = ['verification_document', 'incorporation_certificate'] as const;
export type DocumentField = (typeof DOCUMENT_FIELDS)[number];
