// `nx release` as configured in the workspace's nx.json (independent versions from conventional
// commits, a CHANGELOG.md per project), run with --dry-run in a scratch git repository outside
// the workspace: the repository's release configuration, this library's manifest and
// project.json, a release tag for the current version, then conventional commits. Offline: no
// remote, no push, no publish (--skip-publish); the workspace's files and git state are untouched.

import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(180_000);

const root = join(__dirname, '../../..');
const project = 'libs/audiohook-protocol';

interface ReleaseConfig {
  projects: string[];
  projectsRelationship: string;
  releaseTag: { pattern: string };
  version: { conventionalCommits: boolean };
  changelog: { projectChangelogs: unknown; workspaceChangelog: boolean };
}

const release = (
  JSON.parse(readFileSync(join(root, 'nx.json'), 'utf8')) as { release: ReleaseConfig }
).release;
const manifest = JSON.parse(readFileSync(join(root, project, 'package.json'), 'utf8')) as {
  version: string;
};

describe('releases with nx release', () => {
  let repo: string;
  let output: string;

  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd: repo,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Release Test',
        GIT_AUTHOR_EMAIL: 'release-test@example.invalid',
        GIT_COMMITTER_NAME: 'Release Test',
        GIT_COMMITTER_EMAIL: 'release-test@example.invalid',
      },
    });
  const commit = (file: string, text: string, message: string): void => {
    writeFileSync(join(repo, file), text);
    git('add', '-A');
    git('commit', '-q', '--no-gpg-sign', '-m', message);
  };

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'audiohook-protocol-release-'));
    mkdirSync(join(repo, project, 'src'), { recursive: true });
    mkdirSync(join(repo, 'libs/other'), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(repo, 'node_modules'), 'dir');
    writeFileSync(join(repo, '.gitignore'), 'node_modules\n.nx\n');
    writeFileSync(
      join(repo, 'package.json'),
      JSON.stringify({ name: 'scratch-workspace', private: true }),
    );
    writeFileSync(join(repo, 'nx.json'), JSON.stringify({ release }, null, 2));
    for (const file of ['package.json', 'project.json', 'CHANGELOG.md']) {
      copyFileSync(join(root, project, file), join(repo, project, file));
    }
    writeFileSync(join(repo, 'libs/other/project.json'), JSON.stringify({ name: 'other' }));
    git('init', '-q', '-b', 'main');
    commit(`${project}/src/index.ts`, 'export const a = 1;\n', 'chore: the released state');
    git('tag', `audiohook-protocol@${manifest.version}`);
    commit(
      `${project}/src/index.ts`,
      'export const a = 2;\n',
      'fix(audiohook-protocol): refuse a negative position',
    );
    commit(
      `${project}/src/sign.ts`,
      'export const b = 1;\n',
      'feat(audiohook-protocol): sign requests with Web Crypto',
    );
    commit('libs/other/x.ts', 'export const c = 1;\n', 'feat(other): not in this package');
    output = execFileSync(
      process.execPath,
      [join(root, 'node_modules/nx/dist/bin/nx.js'), 'release', '--dry-run', '--skip-publish'],
      {
        cwd: repo,
        encoding: 'utf8',
        env: {
          ...process.env,
          CI: 'true',
          NX_DAEMON: 'false',
          NX_NO_CLOUD: 'true',
          NX_TUI: 'false',
          NO_COLOR: '1',
          FORCE_COLOR: '0',
        },
      },
    );
  }, 180_000);

  afterAll(() => {
    if (repo !== undefined) rmSync(repo, { recursive: true, force: true });
  });

  it('is configured for independent versions from conventional commits', () => {
    expect(release.projects).toEqual(['audiohook-protocol']);
    expect(release.projectsRelationship).toBe('independent');
    expect(release.releaseTag.pattern).toBe('{projectName}@{version}');
    expect(release.version.conventionalCommits).toBe(true);
    expect(release.changelog.workspaceChangelog).toBe(false);
  });

  it('shows the next version: a feat since the last tag is a minor bump', () => {
    const [major, minor] = manifest.version.split('.').map(Number) as [number, number];
    const next = `${major}.${minor + 1}.0`;
    expect(output).toContain(`New version ${next} written to manifest: ${project}/package.json`);
    expect(output).toMatch(
      new RegExp(`-\\s*"version": "${manifest.version.replace(/\./g, '\\.')}"`),
    );
    expect(output).toMatch(new RegExp(`\\+\\s*"version": "${next.replace(/\./g, '\\.')}"`));
  });

  it('shows the generated CHANGELOG.md entry with this package’s commits only', () => {
    expect(output).toContain(`${project}/CHANGELOG.md`);
    expect(output).toMatch(/\+\s*### 🚀 Features/);
    expect(output).toMatch(/\+\s*- \*\*audiohook-protocol:\*\* sign requests with Web Crypto/);
    expect(output).toMatch(/\+\s*### 🩹 Fixes/);
    expect(output).toMatch(/\+\s*- \*\*audiohook-protocol:\*\* refuse a negative position/);
    expect(output).not.toContain('not in this package');
  });

  it('changes nothing: the scratch repository is still clean and untagged', () => {
    expect(git('status', '--porcelain')).toBe('');
    expect(git('tag').trim()).toBe(`audiohook-protocol@${manifest.version}`);
    expect(readFileSync(join(repo, project, 'package.json'), 'utf8')).toBe(
      readFileSync(join(root, project, 'package.json'), 'utf8'),
    );
  });
});
