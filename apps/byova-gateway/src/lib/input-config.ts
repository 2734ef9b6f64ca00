// Connector input wishes from the YAML (`input:` section) -> input_mode / input_handling_config.

import { keyToDtmfDigit } from '@org/byova';
import type { InputConfig } from './connectors/config-schemas';
import type { InputPreferences } from '@org/byova';

/** Builds the wire form of an `input:` section. */
export function inputPreferences(input: InputConfig): InputPreferences {
  return {
    inputMode: input.mode,
    inputHandlingConfig: {
      dtmf_config: {
        dtmf_input_length: input.dtmf.max_digits,
        inter_digit_timeout_msec: input.dtmf.inter_digit_timeout_ms,
        termchar: keyToDtmfDigit(input.dtmf.terminator),
      },
      speech_timers: {
        max_speech_timeout_msec: input.speech_timers.max_speech_timeout_ms,
        complete_timeout_msec: input.speech_timers.complete_timeout_ms,
        incomplete_timeout_msec: input.speech_timers.incomplete_timeout_ms,
        no_input_timeout_msec: input.speech_timers.no_input_timeout_ms,
      },
    },
  };
}
