// Original file: proto/voicevirtualagent.proto

export const VoiceVAInputMode = {
  INPUT_VOICE_MODE_UNSPECIFIED: 'INPUT_VOICE_MODE_UNSPECIFIED',
  INPUT_VOICE: 'INPUT_VOICE',
  INPUT_EVENT_DTMF: 'INPUT_EVENT_DTMF',
  INPUT_VOICE_DTMF: 'INPUT_VOICE_DTMF',
} as const;

export type VoiceVAInputMode =
  | 'INPUT_VOICE_MODE_UNSPECIFIED'
  | 0
  | 'INPUT_VOICE'
  | 1
  | 'INPUT_EVENT_DTMF'
  | 2
  | 'INPUT_VOICE_DTMF'
  | 3

export type VoiceVAInputMode__Output = typeof VoiceVAInputMode[keyof typeof VoiceVAInputMode]
