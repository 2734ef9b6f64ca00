// Original file: proto/byova_common.proto

import type { DTMFDigits as _com_cisco_wcc_ccai_media_v1_DTMFDigits, DTMFDigits__Output as _com_cisco_wcc_ccai_media_v1_DTMFDigits__Output } from '../../../../../../com/cisco/wcc/ccai/media/v1/DTMFDigits';

/**
 * When WxCC considers a DTMF entry complete: this many digits, this long without a key, or the
 * terminator key.
 */
export interface DTMFInputConfig {
  'inter_digit_timeout_msec'?: (number);
  'termchar'?: (_com_cisco_wcc_ccai_media_v1_DTMFDigits);
  'dtmf_input_length'?: (number);
}

/**
 * When WxCC considers a DTMF entry complete: this many digits, this long without a key, or the
 * terminator key.
 */
export interface DTMFInputConfig__Output {
  'inter_digit_timeout_msec': (number);
  'termchar': (_com_cisco_wcc_ccai_media_v1_DTMFDigits__Output);
  'dtmf_input_length': (number);
}
