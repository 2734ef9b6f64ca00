// The AWS Lex V2 connector. Bots are discovered with ListBots / ListBotAliases (every page), or
// fixed in the YAML. Each turn is one RecognizeUtterance: text for the session start and DTMF
// entries (the keys as their characters), 16-bit PCM for utterances (8 kHz with the `audio/lpcm`
// type by default, else resampled to 16 kHz), with an audio/pcm answer converted to u-law 8 kHz.
// Intent state and dialog action decide between continuing, ending the session and transferring;
// Lex's own audio is kept on terminal replies. Session attributes round-trip through sessionState.
// A welcome without Lex text gets `welcome_text`, when set. The session transcript masks DTMF
// entries (and the bot's echo of their digits) and keeps within `transcript_max_bytes`.

import {
  LexModelsV2Client,
  ListBotAliasesCommand,
  ListBotsCommand,
} from '@aws-sdk/client-lex-models-v2';
import { LexRuntimeV2Client, RecognizeUtteranceCommand } from '@aws-sdk/client-lex-runtime-v2';
import { int16ToL16, l16ToInt16, resample } from '@org/audio';
import { resolve } from 'node:path';
import { lexConfig, parseConnectorConfig, type LexConfig } from './config-schemas';
import { inputPreferences } from '../input-config';
import { pcmToWxccUlaw } from '../prompt-audio';
import {
  decodeLexHeader,
  encodeLexHeader,
  type LexInterpretation,
  type LexMessage,
  type LexSessionState,
} from './lex-codec';
import { DTMF_TRANSCRIPT_LINE, LexTranscript, maskDtmfEcho } from './lex-transcript';
import type {
  AgentDescriptor,
  ByovaLogger,
  Connector,
  ConnectorEvent,
  ConnectorInit,
  ConnectorRecording,
  ConnectorSession,
  InputPreferences,
  JsonObject,
  ReplyPrompt,
  SessionContext,
  TurnReply,
  Utterance,
} from '@org/byova';
import { GatewayError, GatewayErrorCode } from '../errors';

/** A bot the connector talks to. */
export interface LexBot {
  readonly botId: string;
  readonly botAliasId: string;
  readonly botName: string;
}

/** A Lex connector's construction: the YAML entry, and injectable clients (tests). */
export interface LexConnectorOptions extends ConnectorInit {
  readonly runtime?: LexRuntimeV2Client;
  readonly models?: LexModelsV2Client;
}

/**
 * Checks a Lex connector's `config` mapping (the gateway's configuration check).
 *
 * @throws ConfigError listing every problem.
 */
export function validateLexConfig(key: string, raw: unknown): LexConfig {
  return parseConnectorConfig(lexConfig, key, raw);
}

/** What the Python gateway's `audio_logging` block asks the gateway to record. */
function audioLoggingRecording(
  logging: LexConfig['audio_logging'],
  baseDir: string,
): ConnectorRecording | undefined {
  if (logging === undefined || !logging.enabled) return undefined;
  return {
    dir: resolve(baseDir, logging.output_dir),
    filenameFormat: logging.filename_format,
    caller: logging.log_all_audio ? 'all' : 'utterances',
    bot: true,
    callerEncoding: logging.encoding === 'ulaw' ? 'ulaw' : 'pcm16',
    callerSampleRate: logging.sample_rate,
    maxFileBytes: logging.max_file_size,
  };
}

/** Lex session ids allow 2-100 characters of [0-9a-zA-Z._:-]. */
export function lexSessionId(conversationId: string): string {
  return `session_${conversationId.replace(/[^0-9A-Za-z._:-]/g, '_')}`.slice(0, 100);
}

/** The connector of YAML `class: AWSLexConnector`, `module: connectors.aws_lex_connector`. */
export class LexConnector implements Connector {
  readonly key: string;
  readonly kind = 'aws_lex';
  readonly replyMode: 'wav' | 'chunk';
  readonly input: InputPreferences;
  readonly recording: ConnectorRecording | undefined;
  readonly config: LexConfig;
  readonly runtime: LexRuntimeV2Client;
  readonly #models: LexModelsV2Client;
  readonly #logger: ByovaLogger;
  #bots = new Map<string, LexBot>();

  /** @throws ConfigError for an invalid `config` mapping. */
  constructor(options: LexConnectorOptions) {
    this.key = options.key;
    const config = validateLexConfig(options.key, options.config);
    this.config = config;
    // The loader's logger already names the connector (`connector: key`).
    this.#logger = options.logger;
    this.replyMode = config.reply_mode;
    this.input = inputPreferences(config.input);
    this.recording = audioLoggingRecording(config.audio_logging, options.baseDir);
    const common = {
      region: config.region_name,
      maxAttempts: config.max_retries + 1,
      ...this.#credentials(config),
    };
    this.runtime =
      options.runtime ??
      new LexRuntimeV2Client({
        ...common,
        ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
      });
    const modelsEndpoint = config.models_endpoint ?? config.endpoint;
    this.#models =
      options.models ??
      new LexModelsV2Client({
        ...common,
        ...(modelsEndpoint !== undefined ? { endpoint: modelsEndpoint } : {}),
      });
  }

  /** Explicit keys from the YAML (with a warning), else the AWS default chain. */
  #credentials(
    config: LexConfig,
  ):
    | { credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } }
    | object {
    const { aws_access_key_id: accessKeyId, aws_secret_access_key: secretAccessKey } = config;
    if (accessKeyId === undefined || secretAccessKey === undefined) return {};
    this.#logger.warn(
      {},
      'AWS credentials are set in the YAML (aws_access_key_id / aws_secret_access_key): an IAM role (task or instance role) or the AWS credential chain is preferred',
    );
    return {
      credentials: {
        accessKeyId,
        secretAccessKey,
        ...(config.aws_session_token !== undefined
          ? { sessionToken: config.aws_session_token }
          : {}),
      },
    };
  }

  /** The request timeout of every AWS call, and `also` (a conversation given up) when given. */
  signal(also?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(this.config.timeout * 1000);
    return also === undefined ? timeout : AbortSignal.any([timeout, also]);
  }

  async init(): Promise<void> {
    const { bot_id: botId, bot_alias_id: botAliasId } = this.config;
    // bot_id + bot_alias_id: that bot. bot_alias_id alone: that alias (e.g. the draft alias
    // TSTALIASID every bot has) on every bot found. Neither: each bot's latest alias.
    const bots: LexBot[] =
      botId !== undefined && botAliasId !== undefined
        ? [{ botId, botAliasId, botName: this.config.bot_name ?? botId }]
        : await this.#discover(botAliasId);
    if (bots.length === 0)
      throw new GatewayError(GatewayErrorCode.Connector, 'no Lex bot with an alias was found');
    this.#bots = new Map(
      bots.map((bot) => [`${this.config.agent_id_prefix}: ${bot.botName}`, bot]),
    );
    this.#logger.info({ bots: bots.map((b) => b.botName) }, 'Lex bots ready');
  }

  async #discover(fixedAlias: string | undefined): Promise<LexBot[]> {
    const found: LexBot[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#models.send(
        new ListBotsCommand({ maxResults: 50, ...(nextToken ? { nextToken } : {}) }),
        {
          abortSignal: this.signal(),
        },
      );
      for (const summary of page.botSummaries ?? []) {
        if (summary.botId === undefined || summary.botName === undefined) continue;
        if (this.config.bot_names.length > 0 && !this.config.bot_names.includes(summary.botName))
          continue;
        const alias = fixedAlias ?? (await this.#latestAlias(summary.botId));
        if (alias === undefined) {
          this.#logger.warn({ bot: summary.botName }, 'Lex bot has no alias; skipped');
          continue;
        }
        found.push({ botId: summary.botId, botAliasId: alias, botName: summary.botName });
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return found;
  }

  async #latestAlias(botId: string): Promise<string | undefined> {
    let best: { id: string; at: number } | undefined;
    let nextToken: string | undefined;
    do {
      const page = await this.#models.send(
        new ListBotAliasesCommand({ botId, maxResults: 50, ...(nextToken ? { nextToken } : {}) }),
        { abortSignal: this.signal() },
      );
      for (const alias of page.botAliasSummaries ?? []) {
        if (alias.botAliasId === undefined) continue;
        const at = (alias.lastUpdatedDateTime ?? alias.creationDateTime)?.getTime() ?? 0;
        if (best === undefined || at > best.at) best = { id: alias.botAliasId, at };
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return best?.id;
  }

  agents(): readonly AgentDescriptor[] {
    return [...this.#bots.entries()].map(([id, bot]) => ({
      id,
      name: bot.botName,
      isDefault: false,
      attributes: {
        bot_id: bot.botId,
        bot_alias_id: bot.botAliasId,
        locale_id: this.config.locale_id,
      },
    }));
  }

  bot(agentId: string): LexBot | undefined {
    return this.#bots.get(agentId);
  }

  openSession(context: SessionContext, snapshot?: JsonObject): ConnectorSession {
    const bot = this.#bots.get(context.agentId);
    if (bot === undefined)
      throw new GatewayError(GatewayErrorCode.Connector, `no Lex bot for agent ${context.agentId}`);
    return new LexSession(this, bot, context, snapshot);
  }

  errorReply(): TurnReply {
    return {
      prompts: [{ text: this.config.error_text }],
      event: { type: 'CUSTOM_EVENT', name: 'error_occurred' },
    };
  }

  async close(): Promise<void> {
    this.runtime.destroy();
    this.#models.destroy();
  }
}

type Outcome =
  | { readonly kind: 'continue' }
  | { readonly kind: 'end' | 'transfer'; readonly reason: string; readonly intentName: string };

class LexSession implements ConnectorSession {
  readonly #connector: LexConnector;
  readonly #bot: LexBot;
  readonly #context: SessionContext;
  readonly #sessionId: string;
  #attributes: Record<string, string>;
  #errors = 0;
  readonly #transcript: LexTranscript;

  constructor(
    connector: LexConnector,
    bot: LexBot,
    context: SessionContext,
    snapshot: JsonObject | undefined,
  ) {
    this.#connector = connector;
    this.#bot = bot;
    this.#context = context;
    this.#sessionId = lexSessionId(context.conversationId);
    this.#transcript = new LexTranscript(connector.config.transcript_max_bytes);
    this.#attributes = {
      ...connector.config.session_attributes,
      wxcc_conversation_id: context.conversationId,
      ...(context.customerOrgId !== '' ? { wxcc_customer_org_id: context.customerOrgId } : {}),
    };
    if (snapshot !== undefined) this.#restore(snapshot);
  }

  /** Session attributes, consecutive errors and the transcript: what the next turn needs. */
  snapshot(): JsonObject {
    return {
      sessionId: this.#sessionId,
      attributes: { ...this.#attributes },
      errors: this.#errors,
      transcript: this.#transcript.lines(),
      ...(this.#transcript.truncated ? { transcriptTruncated: true } : {}),
    };
  }

  #restore(snapshot: JsonObject): void {
    const { attributes, errors, transcript, transcriptTruncated } = snapshot;
    if (attributes !== null && typeof attributes === 'object' && !Array.isArray(attributes)) {
      for (const [key, value] of Object.entries(attributes))
        if (typeof value === 'string') this.#attributes[key] = value;
    }
    if (typeof errors === 'number' && Number.isInteger(errors) && errors >= 0)
      this.#errors = errors;
    if (Array.isArray(transcript))
      this.#transcript.restore(transcript, transcriptTruncated === true);
  }

  async start(event: { readonly parameters: JsonObject }): Promise<TurnReply | null> {
    // Flow parameters of SESSION_START become session attributes (strings, as Lex requires).
    for (const [key, value] of Object.entries(event.parameters)) {
      this.#attributes[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    const config = this.#connector.config;
    return this.#turn({ text: config.initial_trigger_text }, true);
  }

  async utterance(utterance: Utterance): Promise<TurnReply | null> {
    const config = this.#connector.config;
    const eightK = /sample-rate=8000/.test(config.audio_request_content_type);
    const targetRate = eightK ? 8000 : 16000;
    let samples =
      utterance.sampleRate === targetRate
        ? utterance.samples
        : resample(utterance.samples, utterance.sampleRate, targetRate);
    const maxSamples = Math.floor(config.max_utterance_bytes / 2);
    if (samples.length > maxSamples) {
      this.#context.logger.warn(
        { samples: samples.length },
        'utterance longer than max_utterance_bytes; truncated',
      );
      samples = samples.subarray(0, maxSamples);
    }
    return this.#turn(
      { audio: int16ToL16(samples, 'le'), contentType: config.audio_request_content_type },
      false,
    );
  }

  async dtmf(keys: string): Promise<TurnReply | null> {
    if (keys === '') return null;
    return this.#turn({ text: keys, dtmf: true }, false);
  }

  async event(_event: ConnectorEvent): Promise<TurnReply | null> {
    // START_OF_DTMF, NO_INPUT and custom events: keep the virtual agent active with a plain FINAL.
    return null;
  }

  async end(reason: string): Promise<void> {
    this.#context.logger.debug({ reason }, 'Lex session released');
  }

  async #turn(
    input: { text: string; dtmf?: boolean } | { audio: Uint8Array; contentType: string },
    isStart: boolean,
  ): Promise<TurnReply | null> {
    const connector = this.#connector;
    const config = connector.config;
    const logger = this.#context.logger;
    let response;
    try {
      response = await connector.runtime.send(
        new RecognizeUtteranceCommand({
          botId: this.#bot.botId,
          botAliasId: this.#bot.botAliasId,
          localeId: config.locale_id,
          sessionId: this.#sessionId,
          requestContentType:
            'text' in input ? config.text_request_content_type : input.contentType,
          responseContentType: config.response_content_type,
          inputStream: 'text' in input ? Buffer.from(input.text, 'utf8') : input.audio,
          sessionState: encodeLexHeader({ sessionAttributes: this.#attributes }),
        }),
        { abortSignal: connector.signal(this.#context.signal) },
      );
    } catch (error) {
      // The conversation was given up (it ended, or this instance stops): the failure is that
      // abort, not Lex's; the gateway discards what the turn returns.
      if (this.#context.signal?.aborted === true) {
        logger.debug({ err: error }, 'Lex RecognizeUtterance aborted: conversation given up');
        return null;
      }
      return this.#failure(error);
    }
    this.#errors = 0;
    const messages = decodeLexHeader<LexMessage[]>(response.messages) ?? [];
    const interpretations = decodeLexHeader<LexInterpretation[]>(response.interpretations) ?? [];
    const sessionState = decodeLexHeader<LexSessionState>(response.sessionState);
    const heard =
      decodeLexHeader<string>(response.inputTranscript) ??
      ('text' in input && !isStart ? input.text : undefined);
    if (sessionState?.sessionAttributes !== undefined)
      this.#attributes = { ...this.#attributes, ...sessionState.sessionAttributes };
    let audio: Uint8Array | undefined;
    try {
      const bytes = await response.audioStream?.transformToByteArray();
      if (bytes !== undefined && bytes.length >= 2)
        audio = this.#toUlaw(bytes, response.contentType ?? config.response_content_type);
    } catch (error) {
      logger.warn({ err: error }, 'Lex audio could not be read; replying with text');
    }
    let text = messages
      .map((m) => m.content ?? '')
      .filter((c) => c !== '')
      .join(' ');
    // A bot with nothing to say to the trigger: the configured welcome text, if any.
    if (isStart && text === '' && config.welcome_text !== undefined)
      text = config.welcome_text.replaceAll('{bot_name}', this.#bot.botName);
    // DTMF entries (PINs, card numbers) never reach the transcript, not even as Lex heard them or
    // as the bot read them back.
    const keys = 'dtmf' in input && input.dtmf === true ? input.text : undefined;
    if (keys !== undefined) this.#transcript.push(DTMF_TRANSCRIPT_LINE);
    else if (heard) this.#transcript.push(`caller: ${heard}`);
    if (text) this.#transcript.push(`bot: ${keys === undefined ? text : maskDtmfEcho(text, keys)}`);
    const outcome = this.#outcome(interpretations, sessionState);
    logger.info(
      {
        lex_input_mode: response.inputMode,
        outcome: outcome.kind,
        messages: messages.length,
        audio_bytes: audio?.length ?? 0,
      },
      'Lex turn',
    );
    const prompt: ReplyPrompt = {
      ...(text !== '' ? { text } : {}),
      ...(audio !== undefined ? { audio } : {}),
      bargeIn: outcome.kind === 'continue' && config.barge_in_enabled,
    };
    const prompts = text !== '' || audio !== undefined ? [prompt] : [];
    if (outcome.kind === 'continue') return { prompts };
    return {
      prompts,
      event: {
        type: outcome.kind === 'end' ? 'SESSION_END' : 'TRANSFER_TO_AGENT',
        name: outcome.kind === 'end' ? config.event_names.session_end : config.event_names.transfer,
        metadata: {
          reason: outcome.reason,
          intent_name: outcome.intentName,
          bot_name: this.#bot.botName,
          conversation_id: this.#context.conversationId,
        },
      },
      transcript: this.#transcript.text(),
    };
  }

  #toUlaw(bytes: Uint8Array, contentType: string): Uint8Array | undefined {
    if (!contentType.startsWith('audio/pcm')) {
      this.#context.logger.warn(
        { contentType },
        'Lex audio is not audio/pcm; use response_content_type audio/pcm',
      );
      return undefined;
    }
    // audio/pcm from Lex is 16 kHz 16-bit little-endian, headerless.
    const even = bytes.length % 2 === 0 ? bytes : bytes.subarray(0, bytes.length - 1);
    return pcmToWxccUlaw(l16ToInt16(even, 'le'), 16000);
  }

  #outcome(
    interpretations: readonly LexInterpretation[],
    state: LexSessionState | undefined,
  ): Outcome {
    const config = this.#connector.config;
    let intent = interpretations[0]?.intent;
    if (
      intent?.state === undefined ||
      ['InProgress', 'Waiting', 'FulfillmentInProgress'].includes(intent.state)
    ) {
      intent = state?.intent ?? intent;
    }
    const name = intent?.name ?? '';
    const continues = config.continue_intents.includes(name);
    const isTransferIntent =
      config.transfer_intent_name !== '' &&
      name.toLowerCase() === config.transfer_intent_name.toLowerCase();
    switch (intent?.state) {
      case 'Failed':
        return { kind: 'transfer', reason: 'intent_failed', intentName: name };
      case 'Fulfilled':
      case 'ReadyForFulfillment':
        if (isTransferIntent)
          return { kind: 'transfer', reason: 'transfer_intent', intentName: name };
        if (!continues) {
          return {
            kind: 'end',
            reason:
              intent.state === 'Fulfilled' ? 'intent_fulfilled' : 'intent_ready_for_fulfillment',
            intentName: name,
          };
        }
        break;
      default:
        break;
    }
    if (state?.dialogAction?.type === 'Close' && !continues) {
      return { kind: 'end', reason: 'dialog_closed', intentName: name };
    }
    return { kind: 'continue' };
  }

  async #failure(error: unknown): Promise<TurnReply> {
    const config = this.#connector.config;
    this.#errors += 1;
    const name = (error as { name?: string }).name ?? 'Error';
    this.#context.logger.error(
      { err: error, consecutive_errors: this.#errors },
      'Lex RecognizeUtterance failed',
    );
    const prompt: ReplyPrompt = { text: config.error_text };
    if (config.escalate_after_errors > 0 && this.#errors >= config.escalate_after_errors) {
      return {
        prompts: [prompt],
        event: {
          type: 'TRANSFER_TO_AGENT',
          name: config.event_names.transfer,
          metadata: {
            reason: 'lex_error',
            error: name,
            bot_name: this.#bot.botName,
            conversation_id: this.#context.conversationId,
          },
        },
      };
    }
    return {
      prompts: [prompt],
      event: { type: 'CUSTOM_EVENT', name: 'error_occurred', metadata: { error: name } },
    };
  }
}
