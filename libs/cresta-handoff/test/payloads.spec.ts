import {
  CrestaErrorCode,
  UPSTREAM_EXCLUDED_PARAMETER_KEYS,
  buildPstnTransferRequest,
  handoffToConnect,
  parseHandoffResponse,
} from '../src';
import { fixture } from './support/helpers';

describe('buildPstnTransferRequest', () => {
  it('composes the body of the spec example, byte for byte', () => {
    const body = buildPstnTransferRequest({
      contactData: { ContactId: 'cid-1', Channel: 'VOICE', LanguageCode: 'en-US' },
      parameters: { custom: 'cv' },
      version: '1.3.0',
    });
    expect(JSON.stringify(body)).toBe(
      '{"callId":"cid-1","ccaasMetadata":{"ContactId":"cid-1","Channel":"VOICE","LanguageCode":"en-US","parameters":{"custom":"cv"},"version":"1.3.0"},"supportedDtmfChars":"0123456789*"}',
    );
  });

  it('leaves callId out when the ContactId is missing', () => {
    const body = buildPstnTransferRequest({ contactData: {}, parameters: {}, version: 'v' });
    expect('callId' in body).toBe(false);
  });

  it('filters configuration parameters, including authDomain and oauthSecretArn by default', () => {
    const parameters = {
      action: 'get_pstn_transfer_data',
      region: 'r',
      apiDomain: 'a',
      authDomain: 'b',
      virtualAgentName: 'v',
      supportedDtmfChars: '0',
      apiKey: 'k',
      oauthClientId: 'id',
      oauthClientSecret: 's',
      oauthSecretArn: 'arn',
      custom: 'kept',
    };
    const body = buildPstnTransferRequest({
      contactData: { ContactId: 'c' },
      parameters,
      version: 'v',
    });
    expect(body.ccaasMetadata['parameters']).toEqual({ custom: 'kept' });
  });

  it('never lets credential parameters through, whatever the configured list says', () => {
    const body = buildPstnTransferRequest({
      contactData: {},
      parameters: {
        apiKey: 'k',
        oauthClientSecret: 's',
        oauthClientId: 'i',
        oauthSecretArn: 'a',
        authDomain: 'd',
      },
      version: 'v',
      excludedParameterKeys: [],
    });
    expect(body.ccaasMetadata['parameters']).toEqual({ authDomain: 'd' });
    const parity = buildPstnTransferRequest({
      contactData: {},
      parameters: { authDomain: 'd', oauthSecretArn: 'a' },
      version: 'v',
      excludedParameterKeys: UPSTREAM_EXCLUDED_PARAMETER_KEYS,
    });
    expect(parity.ccaasMetadata['parameters']).toEqual({ authDomain: 'd' });
  });

  it('lets parameters and version overwrite ContactData keys of the same name and come last', () => {
    const body = buildPstnTransferRequest({
      contactData: { version: 'old', parameters: 'x', ContactId: 'c' },
      parameters: {},
      version: 'new',
      supportedDtmfChars: '0123456789*#',
    });
    expect(Object.keys(body.ccaasMetadata)).toEqual(['ContactId', 'parameters', 'version']);
    expect(body.ccaasMetadata['version']).toBe('new');
    expect(body.supportedDtmfChars).toBe('0123456789*#');
  });
});

describe('handoff response', () => {
  const response = fixture<unknown>('handoff-response.json');

  it('maps to exactly the four upstream handoff_* keys by default', () => {
    expect(handoffToConnect(parseHandoffResponse(response))).toEqual({
      handoff_conversation:
        'customers/cresta/profiles/walter-dev/conversations/51ca9fc2-49ff-48f7-89ef-f3dbebf39239',
      handoff_conversationCorrelationId: 'ee4d8126-134e-4e74-8250-71c7bbf446c5',
      handoff_summary: 'Conversation is too short to generate a summary.',
      handoff_transferTarget: 'pstn:PSTN3',
    });
  });

  it('flattens every handoff field in full mode', () => {
    const flat = handoffToConnect(parseHandoffResponse(response), 'full');
    expect(flat).toMatchObject({
      handoff_transferTarget: 'pstn:PSTN3',
      handoff_metadataByTaxonomy_intent_values_0: 'billing',
      handoff_metadataByTaxonomy_intent_values_1: 'address-change',
      handoff_metadataByTaxonomy_intent_confidence: '0.92',
      handoff_metadataByTaxonomy_escalated: 'false',
      handoff_metadataByTaxonomy_notes: '',
    });
  });

  it.each([null, 'text', [], {}, { handoff: 'x' }, { handoff: null }])(
    'rejects %j as an invalid structure',
    (body) => {
      expect(() => parseHandoffResponse(body)).toThrow('invalid handoff response structure: ');
    },
  );

  it('quotes at most 1,024 characters of an invalid structure in the error', () => {
    const body = { handoff: 'x', summary: 's'.repeat(100_000) };
    expect(() => parseHandoffResponse(body)).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/^invalid handoff response structure: \{.{1023}…$/s),
      }),
    );
  });

  it('rejects a handoff with a missing or non-string field', () => {
    const error = (() => {
      try {
        parseHandoffResponse({
          handoff: {
            conversation: 'c',
            conversationCorrelationId: 'i',
            summary: 1,
            transferTarget: 't',
          },
        });
      } catch (err) {
        return err as { code: string; message: string };
      }
      return undefined;
    })();
    expect(error?.code).toBe(CrestaErrorCode.InvalidResponse);
    expect(error?.message).toBe(
      'invalid handoff response: missing or invalid required fields (conversation, conversationCorrelationId, summary, transferTarget)',
    );
  });
});
