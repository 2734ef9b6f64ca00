import type { Logger } from 'pino';
import type { CollectorConfig } from '../config';
import { channelRef, type TopicState } from './channel-types';
import { GenesysApiError } from './errors';
import type { CreatedChannel, GenesysApi } from './genesys/api-client';
import type { ChannelTopic } from './genesys/schemas';

/** What {@link subscribeChannel} needs from the channel manager. */
export interface SubscribeContext {
  api: GenesysApi;
  genesys: CollectorConfig['genesys'];
  logger: Logger;
  /** The topics to subscribe to (read on every call). */
  topics: () => readonly string[];
  /** See `ChannelManagerOptions.onAllRejected`. */
  onAllRejected?: ((rejected: readonly string[]) => boolean) | undefined;
  /** Called with the per-topic outcome as soon as Genesys answered (before it is logged). */
  subscribed: (ch: CreatedChannel, states: TopicState[]) => void;
  signal: AbortSignal;
}

/**
 * PUTs the (de-duplicated) topic list on `ch`. Without `ignoreErrors` a 400 is asked again with
 * it, for per-topic results. Rejected topics are logged one by one; when every topic is rejected,
 * `onAllRejected` may give another list, which is subscribed instead.
 */
export async function subscribeChannel(c: SubscribeContext, ch: CreatedChannel): Promise<void> {
  const topics = [...new Set(c.topics())];
  if (topics.length === 0) {
    c.logger.warn('no topics to subscribe to; only heartbeats will arrive');
  }
  const results = await putSubscriptions(c, ch, topics);
  const byId = new Map(results.map((r) => [r.id, r]));
  const states = topics.map((id): TopicState => {
    const r = byId.get(id);
    if (!r) return { id, state: 'Rejected', rejectionReason: 'not returned by Genesys' };
    const s: TopicState = { id, state: r.state ?? 'Permitted' };
    if (r.rejectionReason !== undefined) s.rejectionReason = r.rejectionReason;
    if (r.missingPermissions !== undefined) s.missingPermissions = r.missingPermissions;
    return s;
  });
  c.subscribed(ch, states);
  const rejected = states.filter((t) => t.state !== 'Permitted');
  for (const t of rejected) {
    c.logger.warn(
      {
        topic: t.id,
        state: t.state,
        rejectionReason: t.rejectionReason,
        missingPermissions: t.missingPermissions,
      },
      'topic subscription rejected',
    );
  }
  const permitted = states.length - rejected.length;
  if (permitted === 0 && topics.length > 0) {
    if (c.onAllRejected?.(topics)) return subscribeChannel(c, ch);
    c.logger.error('no topic subscription was permitted: nothing will be received');
  }
  c.logger.info({ channel: channelRef(ch.id), permitted, rejected: rejected.length }, 'subscribed');
}

async function putSubscriptions(
  c: SubscribeContext,
  ch: CreatedChannel,
  topics: string[],
): Promise<ChannelTopic[]> {
  try {
    return await c.api.putSubscriptions(ch.id, topics, c.genesys.subscribeIgnoreErrors, c.signal);
  } catch (err) {
    if (err instanceof GenesysApiError && err.status === 400 && !c.genesys.subscribeIgnoreErrors) {
      // Without ignoreErrors one bad topic fails the whole call; ask again for per-topic results.
      c.logger.warn('subscription rejected as a whole (400); retrying with ignoreErrors=true');
      return c.api.putSubscriptions(ch.id, topics, true, c.signal);
    }
    throw err;
  }
}
