import { isValidEvmAddress, sameWalletAddress, toChecksumAddress } from './evm-address';

// The test vectors published in EIP-55 (https://eips.ethereum.org/EIPS/eip-55).
const EIP55_MIXED_CASE = [
  '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
  '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
  '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
];
const EIP55_ALL_CAPS = ['0x52908400098527886E0F7030069857D2E4169EE7', '0x8617E340B3D01FA5F11F306F4090FD50E238070D'];
const EIP55_ALL_LOWER = ['0xde709f2102306220921060314715629080e2fb77', '0x27b1fdb04752bbc536007a920d24acb045561c26'];

/** The address with the case of its first hex letter flipped. */
function flipFirstLetter(address: string): string {
  const i = address.slice(2).search(/[a-fA-F]/) + 2;
  const c = address[i];
  return address.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + address.slice(i + 1);
}

describe('isValidEvmAddress', () => {
  it.each(EIP55_MIXED_CASE)('accepts the EIP-55 vector %s', (address) => {
    expect(isValidEvmAddress(address)).toBe(true);
  });

  it.each([...EIP55_ALL_CAPS, ...EIP55_ALL_LOWER])('accepts the single-case EIP-55 vector %s (no checksum to check)', (address) => {
    expect(isValidEvmAddress(address)).toBe(true);
  });

  it.each(EIP55_MIXED_CASE)('refuses %s with one letter in the wrong case', (address) => {
    const flipped = flipFirstLetter(address);
    expect(flipped).not.toBe(address);
    expect(flipped.toLowerCase()).toBe(address.toLowerCase());
    expect(isValidEvmAddress(flipped)).toBe(false);
  });

  it('refuses every single-letter case flip of a mixed-case vector', () => {
    const address = EIP55_MIXED_CASE[0];
    for (let i = 2; i < address.length; i++) {
      const c = address[i];
      if (!/[a-fA-F]/.test(c)) continue;
      const flipped = address.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + address.slice(i + 1);
      expect(isValidEvmAddress(flipped)).toBe(false);
    }
  });

  // Celar's docs: the individual example's address holds; the business example's and the PATCH
  // example's fail the checksum (the contract says two of the three do).
  it.each([
    ['0x8ba1f109551bD432803012645Ac136ddd64DBA72', true],
    ['0x47c99e83Ff01123f4Bbd2A9e7aAF35A2F97B4761', false],
    ['0x5D3a536E4D6DbD6114cc1Ead35777bAB948E3643', false],
  ])('judges the Celar docs sample %s: %s', (address, valid) => {
    expect(isValidEvmAddress(address)).toBe(valid);
    // The same address without a checksum (all lower case) is always accepted.
    expect(isValidEvmAddress(address.toLowerCase())).toBe(true);
  });

  it.each([
    ['no 0x prefix', '5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'],
    ['upper-case 0X prefix', '0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'],
    ['39 hex digits', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe'],
    ['41 hex digits', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd'],
    ['a non-hex letter', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg'],
    ['surrounding spaces', ' 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed '],
    ['empty string', ''],
    ['just 0x', '0x'],
  ])('refuses %s', (_, address) => {
    expect(isValidEvmAddress(address)).toBe(false);
  });

  it.each([null, undefined, 42, {}, ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed']])('refuses the non-string %p', (value) => {
    expect(isValidEvmAddress(value)).toBe(false);
  });
});

describe('toChecksumAddress', () => {
  it.each(EIP55_MIXED_CASE)('restores %s from its lower-case form', (address) => {
    expect(toChecksumAddress(address.toLowerCase())).toBe(address);
    expect(toChecksumAddress(address.toUpperCase().replace('0X', '0x'))).toBe(address);
  });

  it('gives the checksummed form of the Celar samples that fail', () => {
    expect(toChecksumAddress('0x47c99e83Ff01123f4Bbd2A9e7aAF35A2F97B4761')).toBe('0x47c99E83FF01123f4BBD2A9E7aaF35A2f97B4761');
  });
});

describe('sameWalletAddress', () => {
  it('compares case-insensitively', () => {
    expect(sameWalletAddress('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed')).toBe(true);
    expect(sameWalletAddress('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', EIP55_MIXED_CASE[1])).toBe(false);
  });

  it('treats missing addresses as equal only to missing ones', () => {
    expect(sameWalletAddress(null, null)).toBe(true);
    expect(sameWalletAddress(null, undefined)).toBe(true);
    expect(sameWalletAddress(null, EIP55_MIXED_CASE[0])).toBe(false);
    expect(sameWalletAddress(EIP55_MIXED_CASE[0], undefined)).toBe(false);
  });
});
