// tools/workspace/install-hooks.sh, run in throwaway git repositories under the system temp
// folder: never in this workspace's own repository.

import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const SCRIPT = join(__dirname, '..', 'install-hooks.sh');
const FOREIGN_HOOK = '#!/bin/sh\necho "someone else\'s hook"\n';

/** A fake `npx` that logs its arguments and fails when they contain FAKE_NPX_FAIL. */
const FAKE_NPX = `#!/bin/sh
echo "$*" >> "$FAKE_NPX_LOG"
if [ -n "\${FAKE_NPX_FAIL:-}" ]; then
  case "$*" in *"$FAKE_NPX_FAIL"*) exit 1 ;; esac
fi
exit 0
`;

let base: string;
let repo: string;
let bin: string;
let npxLog: string;

/** The environment of every command: no GIT_* variable or user config from the test's parent. */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('GIT_')),
  );
  return {
    ...clean,
    PATH: `${bin}:${process.env['PATH'] ?? ''}`,
    HOME: base,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CEILING_DIRECTORIES: dirname(base),
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
    FAKE_NPX_LOG: npxLog,
    ...extra,
  };
}

function run(command: string, args: string[], cwd = repo, extra: Record<string, string> = {}) {
  const result = spawnSync(command, args, { cwd, env: environment(extra), encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const install = (...args: string[]) => run('sh', [SCRIPT, ...args]);
const git = (...args: string[]) => run('git', args);
const hookPath = () => join(repo, '.git', 'hooks', 'pre-commit');
const backupPath = () => join(repo, '.git', 'hooks', 'pre-commit.local-backup');

function writeForeignHook(): void {
  mkdirSync(dirname(hookPath()), { recursive: true });
  writeFileSync(hookPath(), FOREIGN_HOOK, { mode: 0o755 });
}

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'install-hooks-'));
  repo = join(base, 'repo');
  bin = join(base, 'bin');
  npxLog = join(base, 'npx.log');
  mkdirSync(repo);
  mkdirSync(bin);
  writeFileSync(join(bin, 'npx'), FAKE_NPX);
  chmodSync(join(bin, 'npx'), 0o755);
  expect(git('init', '-q').status).toBe(0);
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('install-hooks.sh', () => {
  it('installs an executable pre-commit hook that runs the format check and the affected lint', () => {
    const result = install();
    expect(result).toMatchObject({ status: 0 });
    const hook = readFileSync(hookPath(), 'utf8');
    expect(hook).toContain('npx nx format:check');
    expect(hook).toContain('npx nx affected -t lint --base=HEAD');
    expect(statSync(hookPath()).mode & 0o111).toBe(0o111);
  });

  it('gives the same hook when run again, without a backup', () => {
    expect(install().status).toBe(0);
    const first = readFileSync(hookPath(), 'utf8');
    expect(install().status).toBe(0);
    expect(readFileSync(hookPath(), 'utf8')).toBe(first);
    expect(existsSync(backupPath())).toBe(false);
  });

  it('refuses to replace a hook it did not install, and leaves that hook untouched', () => {
    writeForeignHook();
    const result = install();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--force');
    expect(readFileSync(hookPath(), 'utf8')).toBe(FOREIGN_HOOK);
    expect(existsSync(backupPath())).toBe(false);
  });

  it('replaces a foreign hook with --force, keeping it as a backup that --uninstall puts back', () => {
    writeForeignHook();
    expect(install('--force').status).toBe(0);
    expect(readFileSync(hookPath(), 'utf8')).toContain('npx nx format:check');
    expect(readFileSync(backupPath(), 'utf8')).toBe(FOREIGN_HOOK);
    // Again with --force: the hook is now its own, so the backup is kept as it is.
    expect(install('--force').status).toBe(0);
    expect(readFileSync(backupPath(), 'utf8')).toBe(FOREIGN_HOOK);

    expect(install('--uninstall').status).toBe(0);
    expect(readFileSync(hookPath(), 'utf8')).toBe(FOREIGN_HOOK);
    expect(existsSync(backupPath())).toBe(false);
  });

  it('removes its own hook with --uninstall, and succeeds when there is none', () => {
    expect(install().status).toBe(0);
    expect(install('--uninstall').status).toBe(0);
    expect(existsSync(hookPath())).toBe(false);
    expect(install('--uninstall').status).toBe(0);
  });

  it('refuses to uninstall a hook it did not install', () => {
    writeForeignHook();
    const result = install('--uninstall');
    expect(result.status).toBe(1);
    expect(readFileSync(hookPath(), 'utf8')).toBe(FOREIGN_HOOK);
  });

  it('installs into core.hooksPath when the repository sets one', () => {
    expect(git('config', 'core.hooksPath', '.githooks').status).toBe(0);
    expect(install().status).toBe(0);
    expect(readFileSync(join(repo, '.githooks', 'pre-commit'), 'utf8')).toContain(
      'npx nx affected -t lint --base=HEAD',
    );
    expect(existsSync(hookPath())).toBe(false);
  });

  it('finds the repository hooks from a subfolder of the work tree', () => {
    const sub = join(repo, 'apps', 'x');
    mkdirSync(sub, { recursive: true });
    expect(run('sh', [SCRIPT], sub).status).toBe(0);
    expect(existsSync(hookPath())).toBe(true);
  });

  it('fails outside a git work tree, and on an unknown option', () => {
    const outside = run('sh', [SCRIPT], base);
    expect(outside.status).toBe(1);
    expect(outside.stderr).toContain('not inside a git work tree');
    expect(install('--frobnicate').status).toBe(2);
  });
});

describe('the installed pre-commit hook', () => {
  function commit(extra: Record<string, string> = {}) {
    writeFileSync(join(repo, 'file.txt'), `${Math.random()}\n`);
    expect(git('add', 'file.txt').status).toBe(0);
    return run('git', ['commit', '-q', '-m', 'change'], repo, extra);
  }
  const hasCommit = () => git('rev-parse', '--verify', '-q', 'HEAD').status === 0;
  const npxCalls = () =>
    existsSync(npxLog) ? readFileSync(npxLog, 'utf8').trim().split('\n') : [];

  beforeEach(() => {
    expect(install().status).toBe(0);
  });

  it('lets a commit through after the format check and the affected lint both pass', () => {
    expect(commit().status).toBe(0);
    expect(hasCommit()).toBe(true);
    expect(npxCalls()).toEqual(['nx format:check', 'nx affected -t lint --base=HEAD']);
  });

  it('blocks the commit when the format check fails, before linting', () => {
    const result = commit({ FAKE_NPX_FAIL: 'format:check' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('npx nx format:write');
    expect(hasCommit()).toBe(false);
    expect(npxCalls()).toEqual(['nx format:check']);
  });

  it('blocks the commit when the lint of affected projects fails', () => {
    const result = commit({ FAKE_NPX_FAIL: 'affected' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('lint failed');
    expect(hasCommit()).toBe(false);
  });
});
