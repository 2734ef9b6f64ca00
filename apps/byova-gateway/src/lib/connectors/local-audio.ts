// The local audio connector: a scripted virtual agent that plays prompt files. Welcome on
// SESSION_START; DTMF entries mapped to actions (default: 5 transfers, 6 says goodbye); optionally
// the default prompt after each caller utterance; NO_INPUT and other events get a plain FINAL (or
// a re-prompt).

import { join, resolve } from 'node:path';
import { inputPreferences } from '../input-config';
import { loadPromptFile } from '../prompt-audio';
import { localAudioConfig, parseConnectorConfig, type LocalAudioConfig } from './config-schemas';
import { findPromptFolder } from './prompt-folder';
import type {
  AgentDescriptor,
  ByovaLogger,
  Connector,
  ConnectorEvent,
  ConnectorInit,
  ConnectorRecording,
  ConnectorSession,
  InputPreferences,
  SessionContext,
  TurnReply,
} from '@org/byova';

type PromptName = 'welcome' | 'transfer' | 'goodbye' | 'error' | 'default';

/**
 * What the gateway's loader gives a connector: the contract's {@link ConnectorInit} and the working
 * directory, from which the Python gateway resolves relative paths (plug-ins may ignore it).
 */
export interface GatewayConnectorInit extends ConnectorInit {
  /** @default process.cwd() */
  readonly workingDir?: string | undefined;
}

/**
 * Checks a local audio connector's `config` mapping (the gateway's configuration check).
 *
 * @throws ConfigError listing every problem.
 */
export function validateLocalAudioConfig(key: string, raw: unknown): LocalAudioConfig {
  return parseConnectorConfig(localAudioConfig, key, raw);
}

/** The connector of YAML `class: LocalAudioConnector`, `module: connectors.local_audio_connector`. */
export class LocalAudioConnector implements Connector {
  readonly key: string;
  readonly kind = 'local_audio';
  readonly replyMode: 'wav' | 'chunk';
  readonly input: InputPreferences;
  readonly recording: ConnectorRecording | undefined;
  readonly #config: LocalAudioConfig;
  readonly #baseDir: string;
  readonly #workingDir: string;
  readonly #logger: ByovaLogger;
  readonly #audio = new Map<PromptName, Uint8Array>();

  /** @throws ConfigError for an invalid `config` mapping. */
  constructor(init: GatewayConnectorInit) {
    this.key = init.key;
    this.#config = validateLocalAudioConfig(init.key, init.config);
    this.#baseDir = init.baseDir;
    this.#workingDir = init.workingDir ?? process.cwd();
    this.#logger = init.logger;
    this.replyMode = this.#config.reply_mode;
    this.input = inputPreferences(this.#config.input);
    // `record_caller_audio` (Python parity): the caller's audio as u-law 8 kHz, no prompts.
    this.recording = this.#config.record_caller_audio
      ? {
          dir: resolve(init.baseDir, this.#config.audio_recording.output_dir),
          filenameFormat: '{conversation_id}_{timestamp}_{source}.wav',
          caller: 'all',
          bot: false,
          callerEncoding: 'ulaw',
          callerSampleRate: 8000,
          maxFileBytes: undefined,
        }
      : undefined;
  }

  /** The agent id, `Local Audio: <agent_id>` as the Python gateway advertises it. */
  get agentId(): string {
    return `Local Audio: ${this.#config.agent_id}`;
  }

  /**
   * Finds the prompt folder (see {@link findPromptFolder}) and loads every prompt.
   *
   * @throws PromptFolderError naming every folder tried when none exists; GatewayError
   * `BYOVA_GW_ERR_CONNECTOR` naming a prompt file that is missing or not a usable WAV.
   */
  async init(): Promise<void> {
    const configured = this.#config.audio_base_path;
    const folder = await findPromptFolder(this.key, configured, {
      configDir: this.#baseDir,
      workingDir: this.#workingDir,
    });
    this.#logger.info(
      {
        prompt_folder: folder.path,
        from: folder.origin,
        audio_base_path: configured ?? null,
        ...(folder.skipped.length > 0 ? { not_found: folder.skipped } : {}),
      },
      'prompt folder chosen',
    );
    const base = folder.path;
    const files = this.#config.audio_files;
    await Promise.all(
      (Object.keys(files) as PromptName[]).map(async (name) => {
        this.#audio.set(name, await loadPromptFile(join(base, files[name])));
      }),
    );
  }

  /** Duration of a loaded prompt in ms (for the dashboard and tests). */
  promptDurationMs(name: PromptName): number {
    return ((this.#audio.get(name)?.length ?? 0) * 1000) / 8000;
  }

  agents(): readonly AgentDescriptor[] {
    return [{ id: this.agentId, name: this.#config.agent_id, isDefault: true }];
  }

  prompt(name: PromptName, bargeIn = false): TurnReply['prompts'][number] {
    const audio = this.#audio.get(name);
    return { text: this.#config.texts[name], ...(audio !== undefined ? { audio } : {}), bargeIn };
  }

  openSession(context: SessionContext): ConnectorSession {
    return new LocalAudioSession(this, this.#config, context);
  }

  errorReply(): TurnReply {
    return {
      prompts: [this.prompt('error')],
      event: { type: 'CUSTOM_EVENT', name: 'error_occurred' },
    };
  }

  async close(): Promise<void> {
    this.#audio.clear();
  }
}

class LocalAudioSession implements ConnectorSession {
  readonly #connector: LocalAudioConnector;
  readonly #config: LocalAudioConfig;
  readonly #context: SessionContext;

  constructor(connector: LocalAudioConnector, config: LocalAudioConfig, context: SessionContext) {
    this.#connector = connector;
    this.#config = config;
    this.#context = context;
  }

  async start(): Promise<TurnReply> {
    return { prompts: [this.#connector.prompt('welcome', this.#config.barge_in.welcome)] };
  }

  async utterance(): Promise<TurnReply | null> {
    if (!this.#config.respond_to_speech) return null;
    return { prompts: [this.#connector.prompt('default', this.#config.barge_in.default)] };
  }

  async dtmf(keys: string): Promise<TurnReply | null> {
    if (keys === '') return this.#noInput();
    const action = this.#config.dtmf_actions[keys];
    switch (action) {
      case 'transfer':
        return {
          prompts: [this.#connector.prompt('transfer')],
          event: {
            type: 'TRANSFER_TO_AGENT',
            name: 'transfer_requested',
            metadata: { reason: 'dtmf', conversation_id: this.#context.conversationId },
          },
        };
      case 'goodbye':
        return {
          prompts: [this.#connector.prompt('goodbye')],
          event: { type: 'SESSION_END', name: 'session_ended', metadata: { reason: 'dtmf' } },
        };
      case 'default':
        return { prompts: [this.#connector.prompt('default', this.#config.barge_in.default)] };
      case 'error':
        return { prompts: [this.#connector.prompt('error')] };
      default:
        this.#context.logger.debug({ digits: keys.length }, 'DTMF entry without an action');
        return null;
    }
  }

  async event(event: ConnectorEvent): Promise<TurnReply | null> {
    if (event.type === 'NO_INPUT') return this.#noInput();
    return null;
  }

  #noInput(): TurnReply | null {
    return this.#config.reprompt_on_no_input
      ? { prompts: [this.#connector.prompt('default', this.#config.barge_in.default)] }
      : null;
  }

  async end(): Promise<void> {
    // Nothing is held per session: prompts are shared, recording is the gateway's job.
  }
}
