import { z } from 'zod';
import { LOOPBACK_HOSTS } from '../regions';

/** `POST /oauth/token` success body. */
export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().positive().optional(),
});

/**
 * Whether a channel's `connectUri` is one the collector connects to: `wss://` (plain `ws://`
 * only towards loopback, as for the base URLs, since the URI itself is the socket credential),
 * without credentials (`user:password@`), which the socket client would send as Basic auth.
 */
function isSocketUri(uri: string): boolean {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  const secure = u.protocol === 'wss:' || (u.protocol === 'ws:' && LOOPBACK_HOSTS.has(u.hostname));
  return secure && u.username === '' && u.password === '';
}

/** `Channel`: the create-channel response. */
export const channelSchema = z.object({
  id: z.string().min(1),
  connectUri: z
    .string()
    .refine(isSocketUri, 'connectUri is not a wss:// URL without credentials (user:password@)'),
  expires: z.string().optional(),
});
export type Channel = z.infer<typeof channelSchema>;

/** `ChannelTopic`: one entry of a subscription listing. */
export const channelTopicSchema = z.object({
  id: z.string(),
  state: z.string().optional(),
  rejectionReason: z.string().optional(),
  missingPermissions: z.array(z.string()).optional(),
});
export type ChannelTopic = z.infer<typeof channelTopicSchema>;

export const channelTopicListingSchema = z.object({
  entities: z.array(channelTopicSchema).default([]),
});

/** `EventDefinition` from `/api/v2/usage/events/definitions`. */
export const eventDefinitionSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  description: z.string().optional(),
});
export type EventDefinition = z.infer<typeof eventDefinitionSchema>;

export const eventDefinitionListingSchema = z.object({
  entities: z.array(eventDefinitionSchema).default([]),
});

/** `AvailableTopic` (only the fields the collector reads). */
export const availableTopicListingSchema = z.object({
  entities: z
    .array(
      z.object({
        id: z.string(),
        transports: z.array(z.string()).optional(),
        requiresPermissions: z.array(z.string()).optional(),
      }),
    )
    .default([]),
});

/** `OperationalEvent`, a history-query result (differs from the notification body). */
export const operationalEventSchema = z.object({
  eventDefinition: z.object({ id: z.string(), name: z.string().optional() }).loose(),
  entityId: z.string().optional(),
  entityToken: z.string().optional(),
  entityName: z.string().optional(),
  previousValue: z.string().optional(),
  currentValue: z.string().optional(),
  errorCode: z.string().optional(),
  parentEntityId: z.string().optional(),
  conversation: z.object({ id: z.string() }).loose().optional(),
  dateCreated: z.string(),
  entityVersion: z.string().optional(),
});
export type OperationalEvent = z.infer<typeof operationalEventSchema>;

export const eventQueryResponseSchema = z.object({
  entities: z.array(z.unknown()).default([]),
  nextUri: z.string().nullish(),
});

/** The notification envelope every data frame on the channel socket carries. */
export const envelopeSchema = z.object({
  topicName: z.string(),
  version: z.string().optional(),
  eventBody: z.unknown(),
  metadata: z.object({ CorrelationId: z.string().optional() }).loose().optional(),
});
export type Envelope = z.infer<typeof envelopeSchema>;

const optionalString = z.string().nullish();

/** The documented operational-event notification body. */
export const operationalEventBodySchema = z.object({
  eventEntity: z.object({
    id: z.string(),
    name: optionalString,
    description: optionalString,
  }),
  entityId: optionalString,
  entityName: optionalString,
  entityType: optionalString,
  conversationId: optionalString,
  previousValue: optionalString,
  currentValue: optionalString,
  errorCode: optionalString,
  version: optionalString,
  parentEntity: optionalString,
  entityToken: optionalString,
  timestamp: z.number().int().nonnegative(),
});
export type OperationalEventBody = z.infer<typeof operationalEventBodySchema>;

/** `SystemMessageSystemMessage`: the body of `v2.system.*` messages (only what we act on). */
export const systemMessageSchema = z
  .object({
    systemTopicType: z.string().optional(),
    reason: z.string().optional(),
    message: z.string().optional(),
  })
  .loose();
