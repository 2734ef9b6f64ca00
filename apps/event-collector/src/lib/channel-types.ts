import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { CollectorConfig } from '../config';
import type { ChannelSocket } from './channel-socket';
import type { CreatedChannel, GenesysApi } from './genesys/api-client';
import type { Envelope } from './genesys/schemas';
import type { TokenProvider } from './genesys/token-provider';
import type { Metrics } from './metrics';

/** Where the manager is in the channel life cycle. */
export type ChannelState =
  'idle' | 'creating' | 'subscribing' | 'connecting' | 'live' | 'reconnecting' | 'stopped';

/** What {@link ChannelManager.status} reports. */
export interface ChannelStatus {
  state: ChannelState;
  connected: boolean;
  /** A non-secret reference to the channel, see {@link channelRef}. */
  channel: string | null;
  expires: string | null;
  connectedSince: string | null;
  lastFrameAt: number | undefined;
  lastHeartbeatAt: number | undefined;
  reconnectAttempts: number;
  lastError: string | undefined;
  topics: TopicState[];
}

/** Per-topic subscription outcome, as exposed on `/health`. */
export interface TopicState {
  id: string;
  state: string;
  rejectionReason?: string;
  missingPermissions?: string[];
}

export interface ChannelManagerOptions {
  api: GenesysApi;
  tokens: TokenProvider;
  genesys: CollectorConfig['genesys'];
  logger: Logger;
  metrics: Metrics;
  /** The topics to subscribe to (read on every subscribe). */
  topics: () => readonly string[];
  /** One notification event; return false to pause reading until `whenWritable` resolves. */
  onEvent: (
    envelope: Envelope & { eventBody: Record<string, unknown> },
    ctx: { channelRef: string; receivedAt: number },
  ) => boolean;
  whenWritable: () => Promise<void>;
  /** A window in which the collector was not connected (for the backfill). */
  onGap: (gap: { start: number; end: number }) => void;
  /**
   * Where a previous run's coverage ended (the checkpoint): the first connection reports the gap
   * from here, so what was published while the collector was down is backfilled.
   */
  initialGapStart?: number;
  /** Called each time a socket is connected (e.g. to write a first checkpoint at once). */
  onLive?: () => void;
  /**
   * Genesys rejected every topic of a subscription: return true when `topics` now gives another
   * list to subscribe to instead (the topics file's fallback), false to keep the rejected one.
   */
  onAllRejected?: (rejected: readonly string[]) => boolean;
  /**
   * The largest plausible delivery delay (`BACKFILL_MAX_LAG_S`): an event time further from its
   * receive time is ignored by the lag estimate. @default 300000
   */
  maxLagMs?: number;
  /** Injectable for tests. @default Math.random */
  random?: () => number;
}

/** One connected (or connecting) socket of the manager. */
export interface Connection {
  channel: CreatedChannel;
  socket: ChannelSocket;
  ref: string;
  log: Logger;
  connectedAt: number;
  sawFrame: boolean;
}

/** A short, stable, non-secret name for a channel (its id is the socket credential). */
export function channelRef(channelId: string): string {
  return `ch_${createHash('sha256').update(channelId).digest('hex').slice(0, 12)}`;
}
