import { isIsoAlpha3Country } from './country';

describe('isIsoAlpha3Country', () => {
  it.each(['KEN', 'USA', 'DEU', 'NGA', 'GBR'])('accepts %s', (code) => expect(isIsoAlpha3Country(code)).toBe(true));

  it.each([
    ['lower case', 'ken'],
    ['mixed case', 'Ken'],
    ['alpha-2', 'KE'],
    ['numeric', '404'],
    ['not assigned', 'XXX'],
    ['four letters', 'KENY'],
    ['padded', ' KEN'],
    ['empty', ''],
  ])('refuses %s (%s)', (_, code) => expect(isIsoAlpha3Country(code)).toBe(false));

  it.each([null, undefined, 404])('refuses the non-string %p', (value) => expect(isIsoAlpha3Country(value)).toBe(false));
});
