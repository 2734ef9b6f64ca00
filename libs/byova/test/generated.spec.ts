import { findDrift } from '../scripts/generate';

describe('generated code', () => {
  it('matches a fresh generation from proto/ (run `npx nx run byova:generate` after editing a .proto)', () => {
    expect(findDrift()).toEqual([]);
  });
});
