import { keccak_256 } from '@noble/hashes/sha3.js';

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** The EIP-55 mixed-case checksum form of an address (`0x` + 40 hex, any case). */
export function toChecksumAddress(address: string): string {
  const hex = address.slice(2).toLowerCase();
  const hash = Buffer.from(keccak_256(new TextEncoder().encode(hex))).toString('hex');
  let out = '0x';
  for (let i = 0; i < hex.length; i++) out += parseInt(hash[i], 16) >= 8 ? hex[i].toUpperCase() : hex[i];
  return out;
}

/**
 * `0x` + 40 hex digits. All-lower and all-upper addresses carry no checksum and are accepted;
 * a mixed-case one must match its EIP-55 checksum exactly.
 */
export function isValidEvmAddress(value: unknown): value is string {
  if (typeof value !== 'string' || !EVM_ADDRESS.test(value)) return false;
  const hex = value.slice(2);
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return true;
  return toChecksumAddress(value) === value;
}

/** Addresses compare case-insensitively: the case is only a checksum. */
export function sameWalletAddress(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a == null || b == null) return a == b;
  return a.toLowerCase() === b.toLowerCase();
}
