import { decimalDelta, decimalEquals, isZero, signed } from './balance-store';
import { csvField, findingCsvRow, findingsCsvHeader } from './findings-csv';
import { etaSeconds } from './reconciliation-runs.repository';
import { FindingView } from './reconciliation.types';

describe('exact decimals', () => {
  it('subtracts beyond 20 significant digits, keeping the larger scale', () => {
    expect(decimalDelta('123456789012345678901234.123456', '123456789012345678901234.123455')).toBe('0.000001');
    expect(decimalDelta('12.5', '10.00')).toBe('2.50');
    expect(decimalDelta('0', '1250.50')).toBe('-1250.50');
    expect(decimalDelta('0.1', '0.2')).toBe('-0.1');
  });

  it('compares by value, not by text', () => {
    expect(decimalEquals('1250.50', '1250.5')).toBe(true);
    expect(decimalEquals('999999999999999999.999999', '999999999999999999.999998')).toBe(false);
    expect(isZero('0.000000')).toBe(true);
    expect(isZero('-0.000001')).toBe(false);
    expect(signed('2.50')).toBe('+2.50');
    expect(signed('-2.50')).toBe('-2.50');
  });
});

describe('findings CSV', () => {
  it('quotes what needs quoting and defuses spreadsheet formulas, but not negative numbers', () => {
    expect(csvField(null)).toBe('');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField('-0.000001')).toBe('-0.000001');
    expect(csvField(42)).toBe('42');
  });

  it('writes the finding fields in the header order', () => {
    const finding: FindingView = {
      id: 7,
      run_id: 'r',
      kind: 'field_drift',
      customer_id: 'c',
      celar_id: 'cr_0123456789ab',
      field: 'name',
      expected: 'Acme, Ltd',
      actual: 'Acme Ltd',
      delta: null,
      message: 'name differs in Celar',
      created_at: '2025-01-01T00:00:00.000Z',
    };
    expect(findingsCsvHeader()).toBe('id,run_id,kind,customer_id,celar_id,field,expected,actual,delta,message,created_at\r\n');
    expect(findingCsvRow(finding)).toBe('7,r,field_drift,c,cr_0123456789ab,name,"Acme, Ltd",Acme Ltd,,name differs in Celar,2025-01-01T00:00:00.000Z\r\n');
  });
});

describe('etaSeconds', () => {
  const started = new Date('2026-12-01T10:00:00Z');
  const at = (seconds: number) => started.getTime() + seconds * 1000;

  it('projects the pace so far onto what is left', () => {
    // 250 of 1000 in 60 s: 750 more at the same pace take 180 s.
    expect(etaSeconds({ status: 'running', startedAt: started, progressDone: 250, progressTotal: 1000 }, at(60))).toBe(180);
  });

  it('is null before any progress, and once the run is not running', () => {
    expect(etaSeconds({ status: 'running', startedAt: started, progressDone: 0, progressTotal: 1000 }, at(60))).toBeNull();
    expect(etaSeconds({ status: 'queued', startedAt: null, progressDone: 0, progressTotal: 0 }, at(60))).toBeNull();
    expect(etaSeconds({ status: 'completed', startedAt: started, progressDone: 1000, progressTotal: 1000 }, at(60))).toBeNull();
  });
});
