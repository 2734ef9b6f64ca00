import { loadConfig } from '../src/config';

describe('transcription settings', () => {
  it('default to the simulator: no cloud account needed', () => {
    const { transcription } = loadConfig({});
    expect(transcription).toEqual({
      engine: 'simulator',
      partialResults: false,
      partialIntervalMs: 1000,
      bufferMs: 30_000,
      retry: { attempts: 5, baseDelayMs: 200, maxDelayMs: 5000 },
      vocabularies: {},
      redaction: 'off',
      transcribe: {
        region: 'us-east-1',
        channelIdentification: true,
        piiEntityTypes: [],
        startTimeoutMs: 10_000,
      },
      agentAssistUtterances: 'demo',
    });
  });

  it('read the Transcribe engine, its endpoint, vocabularies and redaction', () => {
    const { transcription } = loadConfig({
      TRANSCRIPTION_ENGINE: 'transcribe',
      AWS_REGION: 'eu-west-1',
      TRANSCRIBE_ENDPOINT: 'http://127.0.0.1:4590',
      TRANSCRIBE_CHANNEL_IDENTIFICATION: 'false',
      TRANSCRIPTION_VOCABULARIES: 'en-US=products-en, *=products',
      TRANSCRIPTION_REDACTION: 'redact',
      TRANSCRIBE_PII_ENTITY_TYPES: 'NAME,SSN',
      TRANSCRIBE_START_TIMEOUT_MS: '4000',
      TRANSCRIPTION_PARTIAL_RESULTS: 'true',
      AGENT_ASSIST_UTTERANCES: 'transcripts',
    });
    expect(transcription).toMatchObject({
      engine: 'transcribe',
      partialResults: true,
      vocabularies: { 'en-US': 'products-en', '*': 'products' },
      redaction: 'redact',
      transcribe: {
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:4590',
        channelIdentification: false,
        piiEntityTypes: ['NAME', 'SSN'],
        startTimeoutMs: 4000,
      },
      agentAssistUtterances: 'transcripts',
    });
  });

  it.each([
    [{ TRANSCRIPTION_ENGINE: 'whisper' }, 'TRANSCRIPTION_ENGINE'],
    [{ TRANSCRIPTION_VOCABULARIES: 'en-US' }, 'TRANSCRIPTION_VOCABULARIES'],
    [{ TRANSCRIBE_START_TIMEOUT_MS: '500' }, 'TRANSCRIBE_START_TIMEOUT_MS'],
    [
      { TRANSCRIPTION_ENGINE: 'transcribe', VOICETRANSCRIPTION_LANGUAGES: 'en-US,xx-XX' },
      'VOICETRANSCRIPTION_LANGUAGES',
    ],
    [
      { TRANSCRIPTION_RETRY_BASE_MS: '500', TRANSCRIPTION_RETRY_MAX_MS: '100' },
      'TRANSCRIPTION_RETRY_MAX_MS',
    ],
  ])('refuse %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(variable);
  });

  it('accept every default language with Transcribe (cmn-CN maps to zh-CN)', () => {
    expect(loadConfig({ TRANSCRIPTION_ENGINE: 'transcribe' }).endpoints.languages).toContain(
      'cmn-CN',
    );
  });
});
