// The configuration schemas of the built-in connectors (their YAML `config:` mapping), validated
// by each connector; the gateway's configuration check runs them too, so every problem of a file
// is listed at once.

import { z } from 'zod';
import { ConfigError } from '../errors';

const positiveMs = z.number().int().positive();
const dtmfKey = z.enum([
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  'A',
  'B',
  'C',
  'D',
  '*',
  '#',
]);

/** What a connector asks WxCC to collect next (sent as input_mode / input_handling_config). */
const inputSchema = z
  .object({
    mode: z
      .enum(['INPUT_VOICE', 'INPUT_EVENT_DTMF', 'INPUT_VOICE_DTMF'])
      .default('INPUT_VOICE_DTMF'),
    dtmf: z
      .object({
        max_digits: z.number().int().min(1).max(64).default(1),
        inter_digit_timeout_ms: positiveMs.default(3000),
        terminator: dtmfKey.default('#'),
      })
      .strict()
      .prefault({}),
    speech_timers: z
      .object({
        max_speech_timeout_ms: z.number().int().min(0).default(0),
        complete_timeout_ms: z.number().int().min(0).default(5000),
        incomplete_timeout_ms: z.number().int().min(0).default(0),
        no_input_timeout_ms: z.number().int().min(0).default(0),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type InputConfig = z.infer<typeof inputSchema>;

const replyMode = z.enum(['wav', 'chunk']);

/** The Python gateway's per-connector `audio_logging` block. */
const audioLogging = z
  .object({
    enabled: z.boolean().default(false),
    output_dir: z.string().default('logs/audio_recordings'),
    filename_format: z
      .string()
      .refine(
        (f) => f.includes('{source}'),
        'filename_format needs {source} (caller and bot files)',
      )
      .default('{conversation_id}_{timestamp}_{source}.wav'),
    /** true: every caller frame; false: only the utterances handed to the connector. */
    log_all_audio: z.boolean().default(true),
    max_file_size: z.number().int().min(1024).default(10485760),
    sample_rate: z.union([z.literal(8000), z.literal(16000)]).default(8000),
    bit_depth: z.union([z.literal(8), z.literal(16)]).default(8),
    channels: z.literal(1).default(1),
    encoding: z.enum(['ulaw', 'pcm', 'linear16']).default('ulaw'),
  })
  .strict()
  .refine((a) => (a.encoding === 'ulaw') === (a.bit_depth === 8), {
    message: 'audio_logging: encoding ulaw is 8-bit, pcm/linear16 16-bit',
  })
  .refine((a) => a.encoding !== 'ulaw' || a.sample_rate === 8000, {
    message: 'audio_logging: u-law is 8000 Hz',
  });
export type AudioLoggingConfig = z.infer<typeof audioLogging>;

const localAudioConfig = z
  .object({
    agent_id: z.string().min(1).default('Local Playback'),
    /**
     * The prompt folder. Unset: `assets/prompts` next to the config file, else `audio` in the
     * working directory (the Python sample's default); a relative path is looked up from the config
     * file's folder, then from the working directory (see prompt-folder.ts).
     */
    audio_base_path: z
      .string()
      .min(1, 'audio_base_path must not be empty (leave it out instead)')
      .optional(),
    audio_files: z
      .object({
        welcome: z.string().default('welcome.wav'),
        transfer: z.string().default('transferring.wav'),
        goodbye: z.string().default('goodbye.wav'),
        error: z.string().default('error.wav'),
        default: z.string().default('default_response.wav'),
      })
      .strict()
      .prefault({}),
    texts: z
      .object({
        welcome: z
          .string()
          .default(
            'Hello, welcome to the webex contact center voice virtual agent gateway. How can I help you today?',
          ),
        transfer: z.string().default('Transferring you to an agent. Please wait.'),
        goodbye: z.string().default('Thank you for calling. Goodbye!'),
        error: z.string().default('Sorry, something went wrong. Please try again.'),
        default: z.string().default('I heard you. Press 5 for an agent or 6 to end the call.'),
      })
      .strict()
      .prefault({}),
    /** Answer every caller utterance with the default prompt (the Python connector stays silent). */
    respond_to_speech: z.boolean().default(true),
    /** Answer NO_INPUT and an empty DTMF entry with the default prompt instead of a plain FINAL. */
    reprompt_on_no_input: z.boolean().default(false),
    /** DTMF entry -> action. */
    dtmf_actions: z
      .record(
        z.string().regex(/^[0-9A-D*#]+$/),
        z.enum(['transfer', 'goodbye', 'default', 'error']),
      )
      .default({ '5': 'transfer', '6': 'goodbye' }),
    barge_in: z
      .object({ welcome: z.boolean().default(false), default: z.boolean().default(true) })
      .strict()
      .prefault({}),
    reply_mode: replyMode.default('wav'),
    input: inputSchema.prefault({}),
    /** Python keys: record the caller's audio (u-law 8 kHz WAV) under `audio_recording.output_dir`. */
    record_caller_audio: z.boolean().default(false),
    audio_recording: z
      .object({ output_dir: z.string().default('logs') })
      .strict()
      .prefault({}),
    /** Accepted for compatibility with the Python sample's README (`agents: ["Local Playback"]`). */
    agents: z.array(z.string()).optional(),
  })
  .strict();
export type LocalAudioConfig = z.infer<typeof localAudioConfig>;

const lexConfig = z
  .object({
    region_name: z.string().min(1, 'region_name is required'),
    locale_id: z.string().min(1).default('en_US'),
    /** Fixed bot (both ids set) instead of discovery. */
    bot_id: z.string().min(1).optional(),
    bot_alias_id: z.string().min(1).optional(),
    bot_name: z.string().min(1).optional(),
    /** Limit discovery to these bot names (empty: every bot with an alias). */
    bot_names: z.array(z.string().min(1)).default([]),
    agent_id_prefix: z.string().default('aws_lex_connector'),
    endpoint: z.string().url().optional(),
    models_endpoint: z.string().url().optional(),
    initial_trigger_text: z.string().min(1).default('hello'),
    text_request_content_type: z.string().default('text/plain; charset=utf-8'),
    audio_request_content_type: z
      .string()
      .default(
        'audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false',
      ),
    response_content_type: z.string().default('audio/pcm'),
    barge_in_enabled: z.boolean().default(false),
    transfer_intent_name: z.string().default('agent'),
    continue_intents: z.array(z.string()).default(['AIAgent', 'FallbackIntent']),
    /**
     * Text of the welcome prompt when Lex answers `initial_trigger_text` without a text message
     * (`{bot_name}` becomes the bot's name). Unset: such a welcome has no prompt text.
     */
    welcome_text: z
      .string()
      .min(1, 'welcome_text must not be empty (leave it out instead)')
      .optional(),
    error_text: z
      .string()
      .default('An error occurred while processing your input. Please try again.'),
    escalate_after_errors: z.number().int().min(0).default(2),
    max_utterance_bytes: z.number().int().positive().default(1048576),
    /**
     * Budget of the session transcript in UTF-8 bytes: the oldest turns are dropped beyond it. It
     * is stored in the conversation table's item (DynamoDB items are at most 400 KB).
     */
    transcript_max_bytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * 1024)
      .default(64 * 1024),
    max_retries: z.number().int().min(0).max(10).default(2),
    timeout: z.number().positive().default(10),
    session_attributes: z.record(z.string(), z.string()).default({}),
    reply_mode: replyMode.default('wav'),
    input: inputSchema.prefault({ dtmf: { max_digits: 10, inter_digit_timeout_ms: 5000 } }),
    event_names: z
      .object({
        session_end: z.string().default('lex_intent_fulfilled'),
        transfer: z.string().default('lex_intent_failed'),
      })
      .strict()
      .prefault({}),
    /** Explicit credentials (development only: an IAM role or the AWS chain is preferred). */
    aws_access_key_id: z.string().min(1).optional(),
    aws_secret_access_key: z.string().min(1).optional(),
    aws_session_token: z.string().min(1).optional(),
    /** The Python gateway's Lex audio logging (see the README's Audio logging). */
    audio_logging: audioLogging.optional(),
    agents: z.array(z.string()).optional(),
  })
  .strict()
  .refine((c) => c.bot_id === undefined || c.bot_alias_id !== undefined, {
    message: 'bot_id needs bot_alias_id (bot_alias_id alone applies that alias to every bot found)',
  })
  .refine((c) => (c.aws_access_key_id === undefined) === (c.aws_secret_access_key === undefined), {
    message: 'aws_access_key_id and aws_secret_access_key go together',
  });
export type LexConfig = z.infer<typeof lexConfig>;

/** Zod issues as configuration lines, under `connectors.<key>.config`. */
export function connectorConfigIssues(key: string, error: z.ZodError): string[] {
  return error.issues.map(
    (issue) =>
      `  connectors.${key}.config${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`,
  );
}

/**
 * Validates a connector's `config` mapping.
 *
 * @throws ConfigError listing every problem.
 */
export function parseConnectorConfig<T>(schema: z.ZodType<T>, key: string, raw: unknown): T {
  const result = schema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(
      `invalid configuration of connector ${key}:\n${connectorConfigIssues(key, result.error).join('\n')}`,
    );
  }
  return result.data;
}

export { inputSchema, lexConfig, localAudioConfig };
