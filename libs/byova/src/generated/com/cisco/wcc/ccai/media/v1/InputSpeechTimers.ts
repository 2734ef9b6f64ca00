// Original file: proto/byova_common.proto


/**
 * Speech timers for the next caller input. 0 means "not set" for every timer.
 */
export interface InputSpeechTimers {
  'max_speech_timeout_msec'?: (number);
  'complete_timeout_msec'?: (number);
  'incomplete_timeout_msec'?: (number);
  /**
   * 0 = no timeout. Drives the NO_INPUT event that WxCC sends.
   */
  'no_input_timeout_msec'?: (number);
}

/**
 * Speech timers for the next caller input. 0 means "not set" for every timer.
 */
export interface InputSpeechTimers__Output {
  'max_speech_timeout_msec': (number);
  'complete_timeout_msec': (number);
  'incomplete_timeout_msec': (number);
  /**
   * 0 = no timeout. Drives the NO_INPUT event that WxCC sends.
   */
  'no_input_timeout_msec': (number);
}
