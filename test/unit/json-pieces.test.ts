import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonPieces } from '../../src/model/json-file.js';
import { parseXml } from '../../src/parsers/xml.js';

const whole = (data: unknown) => [...jsonPieces(data)].join('');

describe('run.json written in pieces', () => {
  it('is byte for byte what JSON.stringify(data, null, 1) makes', () => {
    const big = { schemaVersion: 3, tests: Array.from({ length: 5000 }, (_, i) => ({ name: `T.${i}\n"x"`, status: 'pass', n: [i, { a: null }] })), after: {} };
    for (const data of [big, {}, [], null, 'text', { a: undefined, f: () => 1, d: new Date(0), e: [], s: [undefined, () => 1] }])
      expect(whole(data)).toBe(`${JSON.stringify(data, null, 1)}\n`);
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.array(fc.jsonValue()), fc.jsonValue())), (data) => {
        expect(whole(data)).toBe(`${JSON.stringify(data, null, 1)}\n`);
      }),
    );
  });

  it('comes in pieces of a bounded size', () => {
    const pieces = [...jsonPieces({ tests: Array.from({ length: 20_000 }, (_, i) => ({ name: `Suite.Case${i}`, status: 'pass' })) })];
    expect(pieces.length).toBeGreaterThan(10);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(70 * 1024);
  });
});

describe('XML parsed in pieces', () => {
  const xml = '\n\n<a x="1"><b>t&amp;u</b><![CDATA[c]]><c y="2"/></a>\n';
  it('is the same tree wherever the pieces are cut', () => {
    const expected = parseXml(xml, 'x');
    for (let cut = 0; cut <= xml.length; cut++) expect(parseXml([xml.slice(0, cut), xml.slice(cut)], 'x')).toEqual(expected);
  });

  it('says where a text that is not XML starts, and where XML broke, across pieces', () => {
    expect(() => parseXml(['  \n', '\n', ' hello'], 'x')).toThrow(/^line 3: not XML/);
    expect(() => parseXml(['<a>\n<b>', '</a>'], 'x')).toThrow(/^line 2: not well-formed XML/);
  });
});
