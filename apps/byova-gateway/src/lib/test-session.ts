// `/api/test/create-session` of the dashboard (as the Python gateway's README offers it): starts a
// conversation with the default agent exactly as a WxCC SESSION_START would, without gRPC, so an
// operator can see a connector answer and the conversation appear in the dashboard. At most
// `limit` such conversations live at once; they end like any other (idle reaper, hang-up).

import { randomUUID } from 'node:crypto';
import type { ByovaRequest, VoiceVAResponse } from '@org/byova';
import type { ConversationRegistry } from './conversations';
import { GatewayError, GatewayErrorCode } from './errors';

/** Prefix of the conversation ids of test sessions. */
export const TEST_SESSION_PREFIX = 'test-session-';

/** What the endpoint answers: an HTTP status and a JSON body. */
export interface TestSessionResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Starts one test conversation and returns the welcome it got. */
export async function createTestSession(
  registry: ConversationRegistry,
  limit: number,
): Promise<TestSessionResult> {
  const live = registry.all().filter((c) => c.id.startsWith(TEST_SESSION_PREFIX)).length;
  if (live >= limit) {
    return {
      status: 429,
      body: { status: 'error', message: `${live} test sessions are open (at most ${limit})` },
    };
  }
  const request: ByovaRequest = {
    conversationId: `${TEST_SESSION_PREFIX}${randomUUID()}`,
    customerOrgId: 'dashboard-test',
    virtualAgentId: '',
    allowPartialResponses: false,
    vendorSpecificConfig: '',
    input: { kind: 'event', type: 'SESSION_START', name: 'test_session', parameters: {} },
  };
  let binding;
  try {
    binding = await registry.bind(request);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    // At gateway.max_conversations: refused (and counted) like a WxCC call.
    const code = error.code === GatewayErrorCode.LimitReached ? 429 : 503;
    return { status: code, body: { status: 'error', code: error.code, message: error.message } };
  }
  if (binding.kind !== 'conversation') return { status: 500, body: { status: 'error' } };
  const conversation = binding.conversation;
  const responses: VoiceVAResponse[] = [];
  const stream = conversation.turnSession.openStream({
    write: (response) => void responses.push(response),
    complete: () => undefined,
  });
  await conversation.turnSession.receive(stream, request.input);
  stream.close();
  await registry.persist(conversation);
  await conversation.recorder?.flush();
  const prompts = responses.flatMap((r) => r.prompts ?? []);
  return {
    status: 200,
    body: {
      status: 'created',
      conversation_id: conversation.id,
      agent_id: conversation.agentId,
      responses: responses.length,
      prompts: prompts.map((p) => ({
        text: p.text ?? '',
        audio_bytes:
          p.audio_content === undefined ? 0 : Buffer.byteLength(p.audio_content as Uint8Array),
        barge_in: p.is_barge_in_enabled === true,
      })),
    },
  };
}
