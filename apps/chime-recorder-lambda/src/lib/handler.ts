import { invocationDeadline } from './deadline';
import { errorAttributes } from './errors';
import { classifyEvent } from './events';
import type { RecorderLogger } from './logger';
import { redactEvent } from './logger';
import type { Outcome, Recorder, SweepOutcome } from './recorder';

/** The parts of the Lambda context the handler uses. */
export interface LambdaContextLike {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

/** What one invocation did. Lambda ignores it for async invocations; replays and tests read it. */
export type HandlerResult =
  | Outcome
  | SweepOutcome
  | { outcome: 'dropped-malformed'; code: string }
  | { outcome: 'ignored'; reason: string };

/** Options of {@link createHandler}. */
export interface HandlerOptions {
  recorder: Recorder;
  logger: RecorderLogger;
  /** Accepted Voice Connector ids; empty accepts all. */
  voiceConnectorIds: readonly string[];
  /** Dump each raw event at DEBUG. @default false */
  debugEvents?: boolean;
  /** Redact phone numbers and SIP headers from the DEBUG dump. @default true */
  redactPii?: boolean;
  /**
   * Time kept back at the end of an invocation (`DEADLINE_RESERVE_MS`): media-pipelines and S3
   * calls still running then are aborted, so the outcome is recorded before the timeout.
   * @default 10000
   */
  deadlineReserveMs?: number;
}

/** The Lambda handler signature. */
export type RecorderHandler = (
  event: unknown,
  context?: LambdaContextLike,
) => Promise<HandlerResult>;

/**
 * Creates the Lambda handler. It validates every payload; malformed events are logged and
 * dropped (returning normally, so Lambda never retries them), events of other detail types or
 * Voice Connectors are ignored at DEBUG, and only infrastructure failures (DynamoDB unreachable)
 * throw, so Lambda's async retries and the on-failure destination take over. Every step is
 * idempotent, so a retried event is safe.
 *
 * @example
 * ```ts
 * export const handler = createHandler({ recorder, logger, voiceConnectorIds: ['abc'] });
 * ```
 */
export function createHandler(o: HandlerOptions): RecorderHandler {
  const accepted = new Set(o.voiceConnectorIds);
  return async (event, context) => {
    const log = context?.awsRequestId
      ? o.logger.child({ requestId: context.awsRequestId })
      : o.logger;
    if (o.debugEvents) {
      log.debug('event received', { event: o.redactPii === false ? event : redactEvent(event) });
    }
    const c = classifyEvent(event);
    const remaining = context?.getRemainingTimeInMillis;
    const deadline = invocationDeadline(
      remaining ? () => remaining.call(context) : undefined,
      o.deadlineReserveMs ?? 10_000,
    );
    try {
      switch (c.kind) {
        case 'malformed':
          log.warn('dropping a malformed event', {
            eventId: c.eventId,
            detailType: c.detailType,
            ...errorAttributes(c.error),
          });
          return { outcome: 'dropped-malformed', code: c.error.code };
        case 'ignored':
          log.debug('ignoring an event this recorder does not handle', {
            eventId: c.eventId,
            field: c.field,
            source: c.source,
            detailType: c.detailType,
          });
          // Name the envelope field that did not match: a foreign source, or a detail type of a
          // handled source that the recorder has no use for.
          return { outcome: 'ignored', reason: `${c.field} ${c.value}` };
        case 'streaming':
          if (accepted.size > 0 && !accepted.has(c.event.voiceConnectorId)) {
            log.debug('ignoring an event of another Voice Connector', {
              eventId: c.event.eventId,
              voiceConnectorId: c.event.voiceConnectorId,
            });
            return { outcome: 'ignored', reason: 'another Voice Connector' };
          }
          return await o.recorder.onStreamingEvent(c.event, deadline);
        case 'pipeline-state':
          return await o.recorder.onPipelineStateEvent(c.event);
        case 'sweep':
          return await o.recorder.sweep(deadline);
      }
    } catch (err) {
      log.error('event handling failed; Lambda will retry the event', errorAttributes(err));
      throw err;
    } finally {
      deadline.dispose();
    }
  };
}
