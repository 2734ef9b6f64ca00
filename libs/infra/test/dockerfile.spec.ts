import { dockerEnv, parseDockerfile } from '../src';

describe('parseDockerfile', () => {
  it('joins continuation lines and drops comments and blank lines', () => {
    const text = [
      '# syntax=docker/dockerfile:1',
      'FROM node:24-bookworm-slim',
      '',
      'ENV A=1 \\',
      '    B="two words"',
      'HEALTHCHECK --interval=10s \\',
      '  # a comment inside a continuation',
      '  CMD ["node", "-e", "1"]',
      'user node',
    ].join('\n');
    expect(parseDockerfile(text)).toEqual([
      { keyword: 'FROM', args: 'node:24-bookworm-slim' },
      { keyword: 'ENV', args: 'A=1 B="two words"' },
      { keyword: 'HEALTHCHECK', args: '--interval=10s CMD ["node", "-e", "1"]' },
      { keyword: 'USER', args: 'node' },
    ]);
  });
});

describe('dockerEnv', () => {
  it('collects ENV assignments, later ones winning, quotes removed', () => {
    const instructions = parseDockerfile('ENV A=1 B="x y"\nRUN true\nENV A=2 C=\n');
    expect(dockerEnv(instructions)).toEqual({ A: '2', B: 'x y', C: '' });
  });
});
