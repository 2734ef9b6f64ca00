// The README's smallest complete engine: recognises "hello" after every second of audio.

import type { SpeechEngine, SpeechStream, SpeechStreamListener, SpeechStreamOptions } from '../src';
import { SpeechError, SpeechErrorCode } from '../src';

/** Recognises nothing but "hello" after every second of audio: the smallest complete engine. */
export class HelloEngine implements SpeechEngine {
  readonly name = 'hello';
  readonly maxChannels = 2; // both channels in one stream; 1 = the transcriber opens one per channel

  startStream(options: SpeechStreamOptions, listener: SpeechStreamListener): SpeechStream {
    if (options.language.toLowerCase() !== 'en-us') {
      queueMicrotask(() =>
        listener.closed(new SpeechError(SpeechErrorCode.UnsupportedLanguage, options.language)),
      );
    } else queueMicrotask(() => listener.ready());
    let samples = 0;
    let said = 0;
    return {
      write(pcm) {
        samples += pcm.length / options.channels;
        while (samples >= (said + 1) * options.sampleRate) {
          const startNs = said * 1e9;
          const endNs = startNs + 5e8;
          listener.result({
            id: `hello-${said++}`,
            channel: 0,
            isFinal: true,
            startNs,
            endNs,
            alternatives: [{ transcript: 'hello', words: [{ text: 'hello', startNs, endNs }] }],
          });
        }
      },
      end: () => listener.closed(),
      abort: () => listener.closed(),
    };
  }

  async close(): Promise<void> {
    // Nothing held: no client, no connection.
  }
}
