// The Python sample's layout: `config/config.yaml` and the prompts in `audio/` at the project root,
// run from the project root (`audio_base_path` defaults to `audio`, relative to the working
// directory). The gateway finds those prompts without an `assets/` folder: an unset
// `audio_base_path` falls back to `audio` in the working directory, and a relative one is looked up
// from the config file's folder first, then from the working directory. The working directory is
// injected (`workingDir`), never changed with process.chdir().

import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import type { HealthCheckResponse__Output, ListVAResponse__Output } from '@org/byova';
import { createLogger } from '@org/service-kit';
import { captureLogs } from '@org/service-kit/testing';
import pino from 'pino';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createGateway } from '../src/app';
import { loadConfig } from '../src/config';
import { LocalAudioConnector } from '../src/lib/connectors/local-audio';
import { PromptFolderError } from '../src/lib/connectors/prompt-folder';
import { APP_DIR, AGENT, WxccClient, event } from './helpers/gateway';

const LOOPBACK = {
  PORT: '0',
  BYOVA_GRPC_HOST: '127.0.0.1',
  BYOVA_MONITORING_PORT: '0',
  BYOVA_MONITORING_HOST: '127.0.0.1',
};
const PROMPTS = join(APP_DIR, 'assets/prompts');

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** The Python sample's config.yaml, its Lex entry left out (the local agent alone). */
function pythonSampleConfig(localConfig: Record<string, unknown> = {}): string {
  const text = readFileSync(join(__dirname, 'fixtures/python-sample-config.yaml'), 'utf8');
  const document = parseYaml(text) as {
    connectors: Record<string, { config: Record<string, unknown> }>;
  };
  const local = document.connectors['local_audio_connector'];
  if (local === undefined) throw new Error('the fixture has no local_audio_connector');
  document.connectors = {
    local_audio_connector: { ...local, config: { ...local.config, ...localConfig } },
  };
  return stringifyYaml(document);
}

/** A project root laid out like the Python sample: config/config.yaml, audio/*.wav, no assets/. */
function pythonProject(localConfig: Record<string, unknown> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'byova-python-layout-'));
  roots.push(root);
  mkdirSync(join(root, 'config'));
  writeFileSync(join(root, 'config/config.yaml'), pythonSampleConfig(localConfig));
  copyPrompts(join(root, 'audio'));
  return root;
}

function copyPrompts(to: string): void {
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(PROMPTS)) copyFileSync(join(PROMPTS, file), join(to, file));
}

function healthStatus(client: WxccClient): Promise<string> {
  return new Promise((resolve, reject) =>
    client.health.Check({ service: '' }, (error: ServiceError | null, out) =>
      error !== null ? reject(error) : resolve(String((out as HealthCheckResponse__Output).status)),
    ),
  );
}

function listAgents(client: WxccClient): Promise<string[]> {
  return new Promise((resolve, reject) =>
    client.va.ListVirtualAgents({ customer_org_id: 'org-1' }, (error, out) =>
      error !== null
        ? reject(error)
        : resolve((out as ListVAResponse__Output).virtual_agents.map((a) => a.virtual_agent_id)),
    ),
  );
}

/** Starts the gateway on `<root>/config/config.yaml` from the working directory `root`. */
async function runFrom(root: string): Promise<{ folderLine: Record<string, unknown> | undefined }> {
  const logs = captureLogs();
  const logger = createLogger({ service: 'byova-gateway', destination: logs.destination });
  const config = loadConfig(join(root, 'config/config.yaml'), LOOPBACK);
  const gateway = createGateway(config, { logger, env: LOOPBACK, workingDir: root });
  const { grpcPort } = await gateway.start();
  const client = new WxccClient(`127.0.0.1:${grpcPort}`);
  try {
    expect(await listAgents(client)).toEqual([AGENT]);
    expect(await healthStatus(client)).toBe('SERVING');
    // The welcome is the audio/welcome.wav prompt, not a text-only reply.
    const welcome = await client.rpc([event('python-layout-1', 'SESSION_START')]);
    expect(welcome.error).toBeUndefined();
    const audio = welcome.responses[0]?.prompts[0]?.audio_content as Buffer | undefined;
    expect(audio?.length ?? 0).toBeGreaterThan(1000);
  } finally {
    client.close();
    await gateway.stop();
  }
  return { folderLine: logs.find('prompt folder chosen')[0] };
}

/** A local audio connector built as the loader builds it, with the given folders. */
function connector(config: Record<string, unknown>, baseDir: string, workingDir: string) {
  return new LocalAudioConnector({
    key: 'local_audio_connector',
    config,
    baseDir,
    workingDir,
    logger: pino({ level: 'silent' }),
  });
}

describe("the Python sample's audio/ folder", () => {
  it('without audio_base_path, plays the prompts of audio/ in the working directory: agent offered, health SERVING', async () => {
    const root = pythonProject();
    const { folderLine } = await runFrom(root);
    expect(folderLine).toMatchObject({
      level: 'info',
      connector: 'local_audio_connector',
      prompt_folder: join(root, 'audio'),
      from: 'working_dir',
      audio_base_path: null,
      not_found: [join(root, 'config/assets/prompts')],
    });
  });

  it('with audio_base_path: audio, finds ./audio of the working directory when the config folder has none', async () => {
    const root = pythonProject({ audio_base_path: 'audio' });
    const { folderLine } = await runFrom(root);
    expect(folderLine).toMatchObject({
      level: 'info',
      prompt_folder: join(root, 'audio'),
      from: 'working_dir',
      audio_base_path: 'audio',
      not_found: [join(root, 'config/audio')],
    });
  });

  it("prefers the config file's folder when both it and the working directory hold the folder", async () => {
    const root = pythonProject({ audio_base_path: 'audio' });
    copyPrompts(join(root, 'config/audio'));
    const logs = captureLogs();
    const local = new LocalAudioConnector({
      key: 'local_audio_connector',
      config: { audio_base_path: 'audio' },
      baseDir: join(root, 'config'),
      workingDir: root,
      logger: createLogger({ service: 'byova-gateway', destination: logs.destination }),
    });
    await local.init();
    expect(logs.find('prompt folder chosen')).toEqual([
      expect.objectContaining({ prompt_folder: join(root, 'config/audio'), from: 'config_dir' }),
    ]);
    expect(logs.find('prompt folder chosen')[0]).not.toHaveProperty('not_found');
    await local.close();
  });

  it('fails with a PromptFolderError naming both folders tried when neither exists (audio_base_path set)', async () => {
    const root = pythonProject({ audio_base_path: 'prompts' });
    const init = connector({ audio_base_path: 'prompts' }, join(root, 'config'), root).init();
    const tried = [join(root, 'config/prompts'), join(root, 'prompts')];
    await expect(init).rejects.toBeInstanceOf(PromptFolderError);
    await expect(init).rejects.toMatchObject({ code: 'BYOVA_GW_ERR_CONNECTOR', tried });
    await expect(init).rejects.toThrow(
      `connector local_audio_connector: no prompt folder found (audio_base_path "prompts"); tried ${tried.join(', ')}`,
    );
  });

  it('fails with a PromptFolderError naming assets/prompts and ./audio when audio_base_path is unset and neither exists', async () => {
    const root = mkdtempSync(join(tmpdir(), 'byova-no-prompts-'));
    roots.push(root);
    const init = connector({}, join(root, 'config'), root).init();
    await expect(init).rejects.toBeInstanceOf(PromptFolderError);
    await expect(init).rejects.toMatchObject({
      tried: [join(root, 'config/assets/prompts'), join(root, 'audio')],
    });
    await expect(init).rejects.toThrow(/audio_base_path is not set/);
  });

  it('looks an absolute audio_base_path up as is, never under the working directory', async () => {
    const root = pythonProject();
    const missing = join(root, 'nowhere');
    const init = connector({ audio_base_path: missing }, join(root, 'config'), root).init();
    await expect(init).rejects.toBeInstanceOf(PromptFolderError);
    await expect(init).rejects.toMatchObject({ tried: [missing] });
  });
});
