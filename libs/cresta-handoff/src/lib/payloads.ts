import { CrestaError, CrestaErrorCode, truncateForError } from './errors';
import { flattenForConnect, type FlattenOptions } from './flatten';

/** Connect parameters that carry credentials: they never reach `ccaasMetadata.parameters`. */
export const CREDENTIAL_PARAMETER_KEYS: readonly string[] = [
  'apiKey',
  'oauthClientId',
  'oauthClientSecret',
  'oauthSecretArn',
];

/** The parameters the upstream Lambda leaves out of `ccaasMetadata.parameters`. */
export const UPSTREAM_EXCLUDED_PARAMETER_KEYS: readonly string[] = [
  'apiDomain',
  'region',
  'action',
  'apiKey',
  'oauthClientId',
  'oauthClientSecret',
  'virtualAgentName',
  'supportedDtmfChars',
];

/**
 * The default exclusion list: the upstream list plus `authDomain` and `oauthSecretArn`, which
 * upstream lets through.
 */
export const DEFAULT_EXCLUDED_PARAMETER_KEYS: readonly string[] = [
  ...UPSTREAM_EXCLUDED_PARAMETER_KEYS,
  'authDomain',
  'oauthSecretArn',
];

/** The DTMF characters sent when none are configured (all upstream implementations). */
export const DEFAULT_SUPPORTED_DTMF_CHARS = '0123456789*';

/** Input of {@link buildPstnTransferRequest}. */
export interface PstnTransferInput {
  /** `Details.ContactData` of the Connect event, copied into `ccaasMetadata` as is and in order. */
  readonly contactData: Readonly<Record<string, unknown>>;
  /** `Details.Parameters` of the Connect event. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** The Lambda's version, sent as `ccaasMetadata.version`. */
  readonly version: string;
  /** @default '0123456789*' */
  readonly supportedDtmfChars?: string;
  /**
   * Parameters left out of `ccaasMetadata.parameters`. The credential keys
   * ({@link CREDENTIAL_PARAMETER_KEYS}) are always left out, whatever this list says.
   * @default DEFAULT_EXCLUDED_PARAMETER_KEYS
   */
  readonly excludedParameterKeys?: readonly string[];
}

/** The `generatePSTNTransferData` request body. */
export interface PstnTransferRequestBody {
  callId?: string;
  ccaasMetadata: Record<string, unknown>;
  supportedDtmfChars: string;
}

/**
 * Builds the `generatePSTNTransferData` body exactly as the upstream TypeScript Lambda does:
 * `callId` (the ContactId, left out when missing), then `ccaasMetadata` = every ContactData key in
 * order, then `parameters` (filtered) and `version`, then `supportedDtmfChars`.
 *
 * @example
 * ```ts
 * buildPstnTransferRequest({
 *   contactData: { ContactId: 'cid-1', Channel: 'VOICE' },
 *   parameters: { action: 'get_pstn_transfer_data', custom: 'cv' },
 *   version: '1.0.0',
 * });
 * // { callId: 'cid-1', ccaasMetadata: { ContactId: 'cid-1', Channel: 'VOICE',
 * //   parameters: { custom: 'cv' }, version: '1.0.0' }, supportedDtmfChars: '0123456789*' }
 * ```
 */
export function buildPstnTransferRequest(input: PstnTransferInput): PstnTransferRequestBody {
  const excluded = new Set([
    ...(input.excludedParameterKeys ?? DEFAULT_EXCLUDED_PARAMETER_KEYS),
    ...CREDENTIAL_PARAMETER_KEYS,
  ]);
  const parameters: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input.parameters)) {
    if (!excluded.has(key)) parameters[key] = value;
  }
  const ccaasMetadata: Record<string, unknown> = { ...input.contactData };
  // Deleting first makes `parameters` and `version` come last even when ContactData has them.
  delete ccaasMetadata['parameters'];
  delete ccaasMetadata['version'];
  ccaasMetadata['parameters'] = parameters;
  ccaasMetadata['version'] = input.version;
  const contactId = input.contactData['ContactId'];
  const body: PstnTransferRequestBody = {
    ccaasMetadata,
    supportedDtmfChars: input.supportedDtmfChars ?? DEFAULT_SUPPORTED_DTMF_CHARS,
  };
  return typeof contactId === 'string' ? { callId: contactId, ...body } : body;
}

/** The four handoff fields that make up the public `handoff_*` contract. */
export interface AiAgentHandoff {
  readonly conversation: string;
  readonly conversationCorrelationId: string;
  readonly summary: string;
  readonly transferTarget: string;
  /** The whole `handoff` object as received, including fields such as `metadataByTaxonomy`. */
  readonly raw: Readonly<Record<string, unknown>>;
}

const HANDOFF_FIELDS = [
  'conversation',
  'conversationCorrelationId',
  'summary',
  'transferTarget',
] as const;

/**
 * Validates a parsed `fetchAIAgentHandoff` response with the upstream rules.
 *
 * @param body the parsed JSON body.
 * @param rawText the body as received; when given, an invalid structure is quoted from it (cut to
 *   1,024 characters) instead of serialising `body` again, which a hostile, deeply nested body
 *   would turn into a stack overflow. The client always passes it.
 * @throws {@link CrestaError} `CRESTA_ERR_INVALID_RESPONSE` with `invalid handoff response
 * structure: <json>` or `invalid handoff response: missing or invalid required fields (...)`.
 * @example
 * ```ts
 * parseHandoffResponse({ handoff: { conversation: 'c', conversationCorrelationId: 'id',
 *   summary: 's', transferTarget: 'pstn:PSTN1' } }).transferTarget; // 'pstn:PSTN1'
 * ```
 */
export function parseHandoffResponse(body: unknown, rawText?: string): AiAgentHandoff {
  const handoff =
    body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as Record<string, unknown>)['handoff']
      : undefined;
  if (handoff === null || typeof handoff !== 'object' || Array.isArray(handoff)) {
    throw new CrestaError(
      CrestaErrorCode.InvalidResponse,
      `invalid handoff response structure: ${truncateForError(rawText ?? quotable(body))}`,
    );
  }
  const record = handoff as Record<string, unknown>;
  if (HANDOFF_FIELDS.some((field) => typeof record[field] !== 'string')) {
    throw new CrestaError(
      CrestaErrorCode.InvalidResponse,
      'invalid handoff response: missing or invalid required fields (conversation, conversationCorrelationId, summary, transferTarget)',
    );
  }
  return {
    conversation: record['conversation'] as string,
    conversationCorrelationId: record['conversationCorrelationId'] as string,
    summary: record['summary'] as string,
    transferTarget: record['transferTarget'] as string,
    raw: record,
  };
}

/** `value` as JSON for an error message, or a description when it cannot be serialised. */
function quotable(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // A RangeError (nesting deeper than the stack) or a cycle: describe instead of quoting.
    const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    return `<a JSON ${kind} that cannot be serialised>`;
  }
}

/**
 * Which handoff fields reach Connect: `contract` gives exactly the four upstream keys
 * (`handoff_conversation`, `handoff_conversationCorrelationId`, `handoff_summary`,
 * `handoff_transferTarget`); `full` flattens the whole `handoff` object with the same rules, so
 * extra fields appear as further `handoff_*` keys.
 */
export type HandoffOutput = 'contract' | 'full';

/**
 * Maps a handoff to the flat `handoff_*` string map returned to Connect, with
 * {@link flattenForConnect} and the prefix `handoff`.
 *
 * @example
 * ```ts
 * handoffToConnect(handoff);
 * // { handoff_conversation: '...', handoff_conversationCorrelationId: '...',
 * //   handoff_summary: '...', handoff_transferTarget: 'pstn:PSTN1' }
 * ```
 */
export function handoffToConnect(
  handoff: AiAgentHandoff,
  output: HandoffOutput = 'contract',
  options: FlattenOptions = {},
): Record<string, string> {
  const source =
    output === 'full'
      ? handoff.raw
      : {
          conversation: handoff.conversation,
          conversationCorrelationId: handoff.conversationCorrelationId,
          summary: handoff.summary,
          transferTarget: handoff.transferTarget,
        };
  return flattenForConnect(source, 'handoff', options);
}
