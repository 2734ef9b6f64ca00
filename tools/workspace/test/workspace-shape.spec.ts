import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '../../..');

interface GraphNode {
  type: 'app' | 'lib' | 'e2e';
  data: { root: string; tags?: string[]; targets?: Record<string, unknown> };
}

let nodes: Record<string, GraphNode>;

beforeAll(() => {
  // The same command the README documents for inspecting the graph.
  const dir = mkdtempSync(join(tmpdir(), 'nx-graph-'));
  try {
    const file = join(dir, 'graph.json');
    const run = spawnSync(
      process.execPath,
      [join(root, 'node_modules/nx/dist/bin/nx.js'), 'graph', `--file=${file}`],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
      },
    );
    if (run.status !== 0) throw new Error(`nx graph failed: ${run.stderr}`);
    nodes = (
      JSON.parse(readFileSync(file, 'utf8')) as { graph: { nodes: Record<string, GraphNode> } }
    ).graph.nodes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('workspace shape', () => {
  it('has the audio library and this checker as projects', () => {
    expect(Object.keys(nodes)).toEqual(expect.arrayContaining(['audio', 'workspace']));
  });

  it('gives every project exactly one type:* and one scope:* tag', () => {
    for (const [name, node] of Object.entries(nodes)) {
      const tags = node.data.tags ?? [];
      expect({ name, types: tags.filter((t) => t.startsWith('type:')).length }).toEqual({
        name,
        types: 1,
      });
      expect({ name, scopes: tags.filter((t) => t.startsWith('scope:')).length }).toEqual({
        name,
        scopes: 1,
      });
    }
  });

  it('gives every project lint, typecheck and test targets, and every app build and serve', () => {
    for (const [name, node] of Object.entries(nodes)) {
      const targets = Object.keys(node.data.targets ?? {});
      const required = ['lint', 'typecheck', 'test'];
      if (node.data.tags?.includes('type:app')) required.push('build', 'serve');
      expect({ name, targets }).toEqual({ name, targets: expect.arrayContaining(required) });
    }
  });

  it('gives every app with a CDK stack a deploy target: its own synth, then cdk deploy, never cached', () => {
    const deployable = Object.entries(nodes).filter(([, node]) => node.data.targets?.['synth']);
    expect(deployable.length).toBeGreaterThanOrEqual(5);
    for (const [name, node] of deployable) {
      const deploy = node.data.targets?.['deploy'] as
        { dependsOn?: unknown; cache?: unknown; options?: { command?: unknown } } | undefined;
      expect({ name, deploy }).toEqual({
        name,
        deploy: expect.objectContaining({
          dependsOn: ['synth'],
          cache: false,
          options: expect.objectContaining({
            command: `cdk deploy --app dist/${node.data.root}/cdk.out --outputs-file cdk-exports.json`,
          }),
        }),
      });
    }
  });

  it('keeps apps under apps/ and libraries under libs/', () => {
    for (const [name, node] of Object.entries(nodes)) {
      const tags = node.data.tags ?? [];
      if (tags.includes('type:app'))
        expect({ name, root: node.data.root }).toEqual({ name, root: `apps/${name}` });
      if (
        tags.some((t) =>
          ['type:codec', 'type:contract', 'type:client', 'type:util', 'type:service'].includes(t),
        )
      ) {
        expect({ name, root: node.data.root }).toEqual({ name, root: `libs/${name}` });
      }
    }
  });

  it('pins nx and every @nx/* package to one exact version, and TypeScript to 5.9.x', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const all = { ...pkg.dependencies, ...pkg.devDependencies };
    const nxVersions = new Set(
      Object.entries(all)
        .filter(([name]) => name === 'nx' || name.startsWith('@nx/'))
        .map(([, version]) => version),
    );
    expect([...nxVersions]).toEqual([all['nx']]);
    expect(all['nx']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(all['typescript']).toMatch(/^5\.9\.\d+$/);
  });

  it('keeps package-lock.json acceptable to npm ci (optional platform entries complete)', () => {
    const run = spawnSync(
      process.execPath,
      [join(root, 'tools/build/complete-lockfile.mjs'), '--check'],
      {
        encoding: 'utf8',
      },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('maps every library to an @org/<name> path in tsconfig.base.json', () => {
    const base = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')) as {
      compilerOptions: { paths: Record<string, string[]> };
    };
    for (const [name, node] of Object.entries(nodes)) {
      if (!node.data.root.startsWith('libs/')) continue;
      expect(base.compilerOptions.paths[`@org/${name}`]).toEqual([
        `${node.data.root}/src/index.ts`,
      ]);
    }
  });
});
