// Issue 17: connectors are plug-ins loaded from YAML `module` / `class`, the built-ins the same
// way. The README's custom connector is loaded from a temporary folder, as a path and as a
// package.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createGateway } from '../src/app';
import { parseConfig } from '../src/config';
import {
  APP_DIR,
  dtmf,
  event,
  eventTypes,
  startGateway,
  testConfig,
  type RunningGateway,
} from './helpers/gateway';
import { readmeConnector } from './helpers/plugins';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'byova-plugins-'));
  writeFileSync(join(dir, 'echo-connector.js'), readmeConnector());
  mkdirSync(join(dir, 'node_modules/my-byova-echo'), { recursive: true });
  writeFileSync(join(dir, 'node_modules/my-byova-echo/index.js'), readmeConnector());
  writeFileSync(
    join(dir, 'node_modules/my-byova-echo/package.json'),
    JSON.stringify({ name: 'my-byova-echo', main: 'index.js' }),
  );
  writeFileSync(
    join(dir, 'not-a-connector.js'),
    'module.exports = { Thing: class { constructor() { this.key = "x"; } } };',
  );
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A gateway whose configuration file lives in the temporary folder. */
function start(connectors: Record<string, unknown>): Promise<RunningGateway> {
  const config = { ...testConfig(), ...parseConfig({ connectors }, {}, dir) };
  return startGateway({
    ...config,
    gateway: testConfig().gateway,
    monitoring: testConfig().monitoring,
  });
}

describe('connector plug-ins', () => {
  it('loads the README custom connector from a path relative to the config file and calls it', async () => {
    const gw = await start({
      echo: {
        module: './echo-connector.js',
        class: 'EchoConnector',
        config: { greeting: 'Hello from the echo agent.' },
      },
    });
    try {
      expect(gw.gateway.router.agents().map((a) => a.id)).toEqual(['Echo: echo']);
      const agent = { virtual_agent_id: 'Echo: echo' };
      const welcome = await gw.client.rpc([event('echo-1', 'SESSION_START', agent)]);
      expect(welcome.responses[0]?.prompts[0]?.text).toBe('Hello from the echo agent.');
      expect(welcome.responses[0]?.input_handling_config?.dtmf_config?.dtmf_input_length).toBe(8);
      const entry = await gw.client.rpc([
        { ...dtmf('echo-1', ['DTMF_DIGIT_FOUR', 'DTMF_DIGIT_TWO', 'DTMF_DIGIT_POUND']), ...agent },
      ]);
      expect(entry.responses[0]?.prompts[0]?.text).toBe('Entry 1: 42.');
      const bye = await gw.client.rpc([{ ...dtmf('echo-1', ['DTMF_DIGIT_ZERO']), ...agent }]);
      expect(eventTypes(bye.responses)).toEqual(['SESSION_END']);
      expect(bye.responses[0]?.output_events[0]?.name).toBe('echo_done');
    } finally {
      await gw.stop();
    }
  });

  it('loads it as a package from the config folder’s node_modules, next to a built-in named by module and class', async () => {
    const gw = await start({
      echo: { module: 'my-byova-echo', class: 'EchoConnector' },
      local: {
        module: 'connectors.local_audio_connector',
        class: 'LocalAudioConnector',
        config: { audio_base_path: join(APP_DIR, 'assets/prompts') },
      },
    });
    try {
      expect(gw.gateway.router.agents().map((a) => a.id)).toEqual([
        'Echo: echo',
        'Local Audio: Local Playback',
      ]);
      const welcome = await gw.client.rpc([
        event('pkg-1', 'SESSION_START', { virtual_agent_id: 'Echo: echo' }),
      ]);
      expect(welcome.responses[0]?.prompts[0]?.text).toBe('Hello. Press some keys, then pound.');
    } finally {
      await gw.stop();
    }
  });

  it.each([
    [{ module: './missing.js', class: 'X' }, /connector module "\.\/missing\.js" cannot be loaded/],
    [{ module: './echo-connector.js', class: 'Nope' }, /exports no class "Nope"/],
    [
      { module: './not-a-connector.js', class: 'Thing' },
      /does not implement the connector contract of @org\/byova: missing init\(\), agents\(\), openSession\(\), errorReply\(\), close\(\), kind, replyMode/,
    ],
  ])('refuses to start with a connector that cannot be loaded (%j)', async (entry, message) => {
    const config = { ...testConfig(), ...parseConfig({ connectors: { bad: entry } }, {}, dir) };
    const gateway = createGateway(
      { ...config, gateway: testConfig().gateway, monitoring: testConfig().monitoring },
      { logger: pino({ level: 'silent' }) },
    );
    await expect(gateway.start()).rejects.toMatchObject({
      code: 'BYOVA_GW_ERR_CONNECTOR',
      message: expect.stringMatching(message),
    });
  });

  it('lists an unknown type and a module without class as configuration problems', () => {
    expect(() =>
      parseConfig(
        { connectors: { a: { type: 'gecx_connector' }, b: { module: './x.js' } } },
        {},
        dir,
      ),
    ).toThrow(
      /connectors\.a\.type: unknown connector type "gecx_connector"[\s\S]*connectors\.b\.class: module and class go together/,
    );
  });
});
