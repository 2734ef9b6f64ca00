import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A local server the replay talks to. */
export interface LocalServer {
  endpoint: string;
  close(): Promise<void>;
}

/** Where the servers run: a child process each (so they can use the other core), or this one. */
export type ServerMode = 'child' | 'in-process';

interface Listening {
  port: number;
  stop(): Promise<void>;
}

/** `start` as source text for the child (it must call `ready(port)`), and the same in-process. */
interface ServerRecipe {
  childScript: string;
  inProcess(req: NodeJS.Require): Promise<Listening>;
}

async function startServer(
  mode: ServerMode,
  cwd: string,
  recipe: ServerRecipe,
): Promise<LocalServer> {
  if (mode === 'in-process') {
    const server = await recipe.inProcess(createRequire(join(cwd, 'package.json')));
    return { endpoint: `http://127.0.0.1:${server.port}`, close: () => server.stop() };
  }
  const script = `const ready=(p)=>process.send(p);${recipe.childScript};process.on('disconnect',()=>process.exit(0));`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], {
    cwd,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    child.once('message', (m) => resolvePort(Number(m)));
    child.once('exit', (code) => reject(new Error(`local server exited with code ${code}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.disconnect();
      }),
  };
}

interface HttpLike {
  listen(port: number, host: string, cb: () => void): void;
  address(): { port: number };
  close(cb: () => void): void;
}

/** dynalite (in-memory DynamoDB) on a free loopback port. */
export function startDynalite(mode: ServerMode, cwd: string): Promise<LocalServer> {
  const options = { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };
  return startServer(mode, cwd, {
    childScript: `const s=require('dynalite')(${JSON.stringify(options)});s.listen(0,'127.0.0.1',()=>ready(s.address().port))`,
    async inProcess(req) {
      const server = (req('dynalite') as (o: object) => HttpLike)(options);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return {
        port: server.address().port,
        stop: () => new Promise<void>((r) => server.close(() => r())),
      };
    },
  });
}

interface S3rverLike {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

/** s3rver (a local S3) with one bucket, on a free loopback port, storing under a temp folder. */
export async function startS3rver(
  mode: ServerMode,
  cwd: string,
  bucket: string,
): Promise<LocalServer> {
  const directory = await mkdtemp(join(tmpdir(), 'bench-chime-s3-'));
  const options = {
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  };
  const server = await startServer(mode, cwd, {
    childScript: `const S3rver=require('s3rver');const s=new S3rver(${JSON.stringify(options)});s.run().then((a)=>ready(a.port))`,
    async inProcess(req) {
      const S3rver = req('s3rver') as new (o: object) => S3rverLike;
      const s = new S3rver(options);
      const { port } = await s.run();
      return { port, stop: () => s.close() };
    },
  });
  return {
    endpoint: server.endpoint,
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
