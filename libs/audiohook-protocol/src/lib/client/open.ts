// The `open` a client session sends, from its options (spec §7.1, §12: a probe has nil
// conversation and participant ids and empty strings).

import { NIL_UUID, type ClientParameters, type MediaParameter, type Participant } from '../schemas';
import { randomUuid } from '../uuid';
import type { ClientSessionOptions } from './types';

/** The reference client's sample caller. */
const SAMPLE_CALLER = { ani: '+1-555-555-1234', aniName: 'John Doe', dnis: '+1-800-555-6789' };

/** True when the options ask for a connection probe. @internal */
export function isProbe(options: ClientSessionOptions): boolean {
  return options.probe !== undefined && options.probe !== false;
}

/** The parameters of `open`, offering `offered`. @internal */
export function openParameters(
  o: ClientSessionOptions,
  offered: readonly MediaParameter[],
): ClientParameters<'open'> {
  const probe = isProbe(o);
  const participant: Participant = probe
    ? { id: NIL_UUID, ani: '', aniName: '', dnis: '' }
    : (o.participant ?? { id: randomUuid(), ...SAMPLE_CALLER });
  return {
    organizationId: o.organizationId,
    conversationId: probe ? NIL_UUID : (o.conversationId ?? randomUuid()),
    participant,
    media: offered.map((m) => ({ ...m, channels: [...m.channels] })),
    ...(o.language === undefined ? {} : { language: o.language }),
    ...(o.supportedLanguages === undefined ? {} : { supportedLanguages: o.supportedLanguages }),
    ...(o.customConfig === undefined ? {} : { customConfig: o.customConfig }),
    ...(o.inputVariables === undefined ? {} : { inputVariables: o.inputVariables }),
    ...(o.continuedSessions === undefined ? {} : { continuedSessions: [...o.continuedSessions] }),
  };
}
