import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  findLanguage,
  fromTranscribeLanguage,
  toTranscribeLanguage,
  TRANSCRIBE_STREAMING_LANGUAGES,
} from '../src';

const vectors = JSON.parse(readFileSync(join(__dirname, 'fixtures/languages.json'), 'utf8')) as {
  toTranscribe: [string, string | null][];
  referenceLanguages: string[];
};

describe('AudioHook and Amazon Transcribe language codes', () => {
  it.each(vectors.toTranscribe)('maps %j to %j', (tag, code) => {
    expect(toTranscribeLanguage(tag)).toBe(code ?? undefined);
  });

  it('maps every language of the reference voice-transcription endpoint', () => {
    for (const tag of vectors.referenceLanguages) {
      expect({ tag, code: toTranscribeLanguage(tag) }).toEqual({ tag, code: expect.any(String) });
    }
  });

  it('maps every streaming code to itself and back', () => {
    expect(new Set(TRANSCRIBE_STREAMING_LANGUAGES).size).toBe(
      TRANSCRIBE_STREAMING_LANGUAGES.length,
    );
    for (const code of TRANSCRIBE_STREAMING_LANGUAGES) {
      expect(toTranscribeLanguage(code)).toBe(code);
      expect(fromTranscribeLanguage(code.toLowerCase())).toBe(code);
    }
    expect(fromTranscribeLanguage('xx-XX')).toBeUndefined();
  });

  it('finds a tag in a configured list whatever its case', () => {
    expect(findLanguage(['en-US', 'fr-FR'], 'EN-us')).toBe('en-US');
    expect(findLanguage(['en-US'], 'de-DE')).toBeUndefined();
    expect(findLanguage(['en-US'], undefined)).toBeUndefined();
  });
});
