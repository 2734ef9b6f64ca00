// A scripted fake BYOVA gateway on a loopback port: enough behaviour to exercise the simulator
// (welcome as a WAV, CHUNK replies, VAD-like events after a number of frames, DTMF transfer).

import { Server, ServerCredentials, type status, type ServerDuplexStream } from '@grpc/grpc-js';
import {
  buildChunkReply,
  buildWavReply,
  eventResponse,
  loadByovaGrpcObject,
  type VoiceVARequest__Output,
  type VoiceVAResponse,
} from '@org/byova';

export interface FakeGateway {
  readonly target: string;
  /** Audio frames received per conversation. */
  readonly frames: Map<string, number>;
  /** Make the next ProcessCallerInput fail with this status. */
  failNext: status | undefined;
  close(): Promise<void>;
}

export async function startFakeGateway(): Promise<FakeGateway> {
  const server = new Server();
  const frames = new Map<string, number>();
  const state: { failNext: status | undefined } = { failNext: undefined };
  const { com } = loadByovaGrpcObject();
  server.addService(com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent.service, {
    ListVirtualAgents: (_call: unknown, callback: (e: null, r: object) => void) =>
      callback(null, {
        virtual_agents: [
          { virtual_agent_id: 'Fake: Other', virtual_agent_name: 'Other', is_default: false },
          { virtual_agent_id: 'Fake: Main', virtual_agent_name: 'Main', is_default: true },
        ],
      }),
    ProcessCallerInput: (call: ServerDuplexStream<VoiceVARequest__Output, VoiceVAResponse>) => {
      if (state.failNext !== undefined) {
        const code = state.failNext;
        state.failNext = undefined;
        call.emit('error', { code, details: 'scripted failure' });
        return;
      }
      let audioFrames = 0;
      let ended = false;
      call.on('data', (request: VoiceVARequest__Output) => {
        if (ended) return;
        const id = request.conversation_id;
        if (request.event_input?.event_type === 'SESSION_START') {
          call.write(
            buildWavReply({
              prompts: [{ text: 'Welcome', audio: new Uint8Array(800).fill(0x7f) }],
            }),
          );
        } else if (request.event_input?.event_type === 'SESSION_END') {
          call.write(eventResponse('SESSION_END', 'session_ended_by_client'));
          ended = true;
          call.end();
        } else if (request.dtmf_input != null) {
          if (request.dtmf_input.dtmf_events.join() === 'DTMF_DIGIT_FIVE') {
            call.write(
              buildWavReply({
                prompts: [{ text: 'Transferring' }],
                event: { type: 'TRANSFER_TO_AGENT', name: 't' },
              }),
            );
            ended = true;
            call.end();
          } else {
            call.write({ response_type: 'FINAL' });
          }
        } else if (request.audio_input != null && request.audio_input.caller_audio.length >= 15) {
          audioFrames += 1;
          frames.set(id, (frames.get(id) ?? 0) + 1);
          // "Speech" is detected 10 frames in, and ends 40 frames in; then a CHUNK reply.
          if (audioFrames === 10) call.write(eventResponse('START_OF_INPUT'));
          if (audioFrames === 40) {
            call.write(eventResponse('END_OF_INPUT', 'end_of_input'));
            for (const r of buildChunkReply(
              { prompts: [{ text: 'Chunked', audio: new Uint8Array(500).fill(0x7f) }] },
              { chunkBytes: 200 },
            )) {
              call.write(r);
            }
          }
        }
      });
      call.on('end', () => {
        if (!ended) call.end();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    target: `127.0.0.1:${port}`,
    frames,
    get failNext() {
      return state.failNext;
    },
    set failNext(code) {
      state.failNext = code;
    },
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
