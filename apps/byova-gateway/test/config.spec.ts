import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../src/config';
import { validateLocalAudioConfig } from '../src/lib/connectors/local-audio';
import { APP_DIR } from './helpers/gateway';

describe('configuration', () => {
  it('loads the shipped default: loopback, local audio connector, no JWT, no login', () => {
    const config = loadConfig(join(APP_DIR, 'config/default.yaml'), {});
    expect(config.gateway).toMatchObject({
      host: '127.0.0.1',
      port: 50051,
      idle_timeout_seconds: 600,
    });
    expect(config.monitoring).toMatchObject({ enabled: true, host: '127.0.0.1', port: 8080 });
    expect(Object.keys(config.connectors)).toEqual(['local_audio_connector']);
    expect(config.jwt_validation.enabled).toBe(false);
    expect(config.authentication.enabled).toBe(false);
  });

  it('accepts the Python sample shape (class/module keys, Silero threshold) and fills defaults', () => {
    const config = parseConfig(
      {
        gateway: { host: '0.0.0.0', port: 50051 },
        voice_activity_detection: { threshold: 0.5, end_silence_ms: 800 },
        connectors: {
          local_audio_connector: {
            type: 'local_audio_connector',
            class: 'LocalAudioConnector',
            module: 'connectors.local_audio_connector',
            config: { agents: ['Local Playback'], audio_files: { welcome: 'welcome.wav' } },
          },
        },
        sessions: { timeout: 600 },
      },
      {},
      '/etc/byova',
    );
    expect(config.voice_activity_detection.end_silence_ms).toBe(800);
    expect(config.baseDir).toBe('/etc/byova');
    const local = config.connectors['local_audio_connector'];
    expect(local).toMatchObject({ class: 'LocalAudioConnector' });
    expect(validateLocalAudioConfig('local_audio_connector', local?.config).dtmf_actions).toEqual({
      '5': 'transfer',
      '6': 'goodbye',
    });
  });

  it('applies PORT and the BYOVA_* environment overrides', () => {
    const config = parseConfig(
      {},
      {
        PORT: '6000',
        BYOVA_MONITORING_PORT: '9090',
        BYOVA_GRPC_HOST: '0.0.0.0',
        LOG_LEVEL: 'debug',
      },
      '.',
    );
    expect(config.gateway.port).toBe(6000);
    expect(config.gateway.host).toBe('0.0.0.0');
    expect(config.monitoring.port).toBe(9090);
    expect(config.logging.level).toBe('debug');
    expect(() => parseConfig({}, { PORT: 'eighty', BYOVA_MONITORING_PORT: '70000' }, '.')).toThrow(
      /invalid configuration: PORT: .*\(got "eighty"\); BYOVA_MONITORING_PORT: .*65535/,
    );
  });

  it('lists every problem at once', () => {
    expect(() =>
      parseConfig(
        {
          gateway: { port: 70000 },
          voice_activity_detection: { end_silence: 5 },
          connectors: { x: { type: 'nope' } },
        },
        {},
        '.',
      ),
    ).toThrow(/gateway\.port[\s\S]*voice_activity_detection[\s\S]*connectors\.x\.type/);
  });

  it('refuses VAD durations the detector would refuse at every stream (over an hour) at start', () => {
    for (const key of ['start_debounce_ms', 'end_silence_ms', 'max_utterance_ms']) {
      expect(() =>
        parseConfig({ voice_activity_detection: { [key]: 3_600_001 } }, {}, '.'),
      ).toThrow(new RegExp(`voice_activity_detection\\.${key}`));
    }
  });

  it('reports unreadable files and bad YAML as ConfigError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'byova-config-'));
    try {
      expect(() => loadConfig(join(dir, 'missing.yaml'), {})).toThrow(ConfigError);
      writeFileSync(join(dir, 'bad.yaml'), 'gateway: [unclosed');
      expect(() => loadConfig(join(dir, 'bad.yaml'), {})).toThrow(/is not valid YAML/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
