// Original file: proto/voicevirtualagent.proto


export interface Prompt {
  'text'?: (string);
  'audio_uri'?: (string);
  /**
   * A complete u-law 8 kHz WAV file in FINAL (WAV) mode; raw u-law in CHUNK mode.
   */
  'audio_content'?: (Buffer | Uint8Array | string);
  'is_barge_in_enabled'?: (boolean);
}

export interface Prompt__Output {
  'text': (string);
  'audio_uri': (string);
  /**
   * A complete u-law 8 kHz WAV file in FINAL (WAV) mode; raw u-law in CHUNK mode.
   */
  'audio_content': (Buffer);
  'is_barge_in_enabled': (boolean);
}
