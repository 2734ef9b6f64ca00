// Original file: proto/voicevirtualagent.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../../../../google/protobuf/Timestamp';

// Original file: proto/voicevirtualagent.proto

export const _com_cisco_wcc_ccai_media_v1_VoiceInput_VoiceEncoding = {
  UNSPECIFIED_FORMAT: 'UNSPECIFIED_FORMAT',
  LINEAR16_FORMAT: 'LINEAR16_FORMAT',
  MULAW_FORMAT: 'MULAW_FORMAT',
  ALAW_FORMAT: 'ALAW_FORMAT',
} as const;

export type _com_cisco_wcc_ccai_media_v1_VoiceInput_VoiceEncoding =
  | 'UNSPECIFIED_FORMAT'
  | 0
  | 'LINEAR16_FORMAT'
  | 1
  | 'MULAW_FORMAT'
  | 2
  | 'ALAW_FORMAT'
  | 3

export type _com_cisco_wcc_ccai_media_v1_VoiceInput_VoiceEncoding__Output = typeof _com_cisco_wcc_ccai_media_v1_VoiceInput_VoiceEncoding[keyof typeof _com_cisco_wcc_ccai_media_v1_VoiceInput_VoiceEncoding]

/**
 * A frame of raw caller audio (no container).
 */
export interface VoiceInput {
  'caller_audio'?: (Buffer | Uint8Array | string);
  'encoding'?: (_com_cisco_wcc_ccai_media_v1_VoiceInput_VoiceEncoding);
  'sample_rate_hertz'?: (number);
  'audio_timestamp'?: (_google_protobuf_Timestamp | null);
  'language_code'?: (string);
  'is_single_utterance'?: (boolean);
}

/**
 * A frame of raw caller audio (no container).
 */
export interface VoiceInput__Output {
  'caller_audio': (Buffer);
  'encoding': (_com_cisco_wcc_ccai_media_v1_VoiceInput_VoiceEncoding__Output);
  'sample_rate_hertz': (number);
  'audio_timestamp': (_google_protobuf_Timestamp__Output | null);
  'language_code': (string);
  'is_single_utterance': (boolean);
}
