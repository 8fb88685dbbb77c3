import { canonicalJson, requestHash } from './canonical-json';

describe('canonicalJson', () => {
  it('ignores key order at every level but keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(requestHash({ a: 1, b: 2 })).toBe(requestHash({ b: 2, a: 1 }));
    expect(requestHash([1, 2])).not.toBe(requestHash([2, 1]));
    expect(requestHash({ a: '1' })).not.toBe(requestHash({ a: 1 }));
  });
});
