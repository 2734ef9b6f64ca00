import { join } from 'node:path';
import { captureLogs, documentedErrorCodes } from '../src/testing';

describe('documentedErrorCodes', () => {
  it('reads the first column of the table under the "Error codes" heading', () => {
    expect(documentedErrorCodes(join(__dirname, 'fixtures/readme-with-codes.md'))).toEqual([
      'DEMO_ERR_ONE',
      'DEMO_ERR_TWO',
      'DEMO_ERR_THREE',
    ]);
  });

  it('fails clearly when the README has no such heading', () => {
    expect(() => documentedErrorCodes(join(__dirname, 'fixtures/sample.env'))).toThrow(
      /has no "Error codes" heading/,
    );
  });
});

describe('captureLogs', () => {
  it('parses every line written, and clears', () => {
    const logs = captureLogs();
    logs.destination.write('{"level":"info","time":"t","msg":"a"}\n');
    logs.destination.write(
      '{"level":"warn","time":"t","msg":"b"}\n{"level":"info","time":"t","msg":"a"}\n',
    );
    expect(logs.lines.map((l) => l.msg)).toEqual(['a', 'b', 'a']);
    expect(logs.find('a')).toHaveLength(2);
    expect(logs.text().split('\n')).toHaveLength(4);
    logs.clear();
    expect([logs.lines.length, logs.text()]).toEqual([0, '']);
  });
});
