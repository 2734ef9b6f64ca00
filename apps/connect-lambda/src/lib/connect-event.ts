import * as z from 'zod/mini';
import { ConnectLambdaError, ConnectLambdaErrorCode } from './errors';

/** The parts of an Amazon Connect `ContactFlowEvent` the Lambda reads. */
export interface ConnectEvent {
  readonly contactData: Readonly<Record<string, unknown>>;
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Whether the event carried a `Details.Parameters` object at all. */
  readonly hasParameters: boolean;
  readonly contactId: string | undefined;
}

const record = z.record(z.string(), z.unknown());

const eventSchema = z.looseObject({
  Name: z.optional(z.string()),
  Details: z.optional(
    z.looseObject({
      ContactData: z.optional(record),
      Parameters: z.optional(record),
    }),
  ),
});

/**
 * Validates the invocation event. A missing `Details.Parameters` is treated as empty (the upstream
 * TS Lambda crashes with a TypeError instead), unless `requireParameters` is set.
 *
 * @throws {@link ConnectLambdaError} `CONNECT_LAMBDA_ERR_EVENT` with `invalid Connect event: <problem>`.
 */
export function parseConnectEvent(event: unknown, requireParameters: boolean): ConnectEvent {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? 'event' : issue.path.join('.');
    throw new ConnectLambdaError(
      ConnectLambdaErrorCode.Event,
      `invalid Connect event: ${where}: ${issue?.message ?? 'invalid'}`,
      { details: { field: where } },
    );
  }
  const details = parsed.data.Details;
  if (requireParameters && details?.Parameters === undefined) {
    throw new ConnectLambdaError(
      ConnectLambdaErrorCode.Event,
      'invalid Connect event: Details.Parameters is required',
      { details: { field: 'Details.Parameters' } },
    );
  }
  const contactData = details?.ContactData ?? {};
  const contactId = contactData['ContactId'];
  return {
    contactData,
    parameters: details?.Parameters ?? {},
    hasParameters: details?.Parameters !== undefined,
    contactId: typeof contactId === 'string' && contactId !== '' ? contactId : undefined,
  };
}

/**
 * Looks a key up the upstream way: a non-empty Connect parameter wins, otherwise the environment
 * value. In `mask` mode (the Go Lambda's behaviour) a parameter that is present but empty hides the
 * environment value.
 */
export function lookupValue(
  parameters: Readonly<Record<string, unknown>>,
  key: string,
  envValue: string,
  mode: 'fallback' | 'mask',
): string {
  const value = parameters[key];
  if (typeof value === 'string') {
    if (value !== '') return value;
    if (mode === 'mask') return '';
  }
  return envValue;
}
