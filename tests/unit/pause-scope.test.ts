import { describe, expect, it } from 'vitest';
import {
  remainingScope,
  resumeSpacingMs,
  scopeCovers,
  scopeHoldsGeneration,
  scopeHoldsPublishing,
  widenScope,
  type PauseScope,
} from '../../src/domain/schedule.js';

describe('pause scopes (issue 13)', () => {
  it('GIVEN each scope THEN generation is held by generation and all, publishing by publishing and all', () => {
    const holds = (scope: PauseScope) => [scopeHoldsGeneration(scope), scopeHoldsPublishing(scope)];
    expect(holds('generation')).toEqual([true, false]);
    expect(holds('publishing')).toEqual([false, true]);
    expect(holds('all')).toEqual([true, true]);
  });

  it('GIVEN a pause WHEN another scope is asked THEN it widens to all; the same scope, or one all covers, changes nothing', () => {
    expect(widenScope('generation', 'publishing')).toBe('all');
    expect(widenScope('publishing', 'generation')).toBe('all');
    expect(widenScope('generation', 'generation')).toBe('generation');
    expect(scopeCovers('all', 'publishing')).toBe(true);
    expect(scopeCovers('generation', 'publishing')).toBe(false);
    expect(scopeCovers('publishing', 'all')).toBe(false);
  });

  it('GIVEN a pause WHEN a part is resumed THEN the rest stays held; resuming a part not held changes nothing; all ends any pause', () => {
    expect(remainingScope('all', 'publishing')).toBe('generation');
    expect(remainingScope('all', 'generation')).toBe('publishing');
    expect(remainingScope('all', 'all')).toBeNull();
    expect(remainingScope('generation', 'generation')).toBeNull();
    expect(remainingScope('generation', 'all')).toBeNull();
    expect(remainingScope('generation', 'publishing')).toBe('generation');
  });

  it('GIVEN MAX_POSTS_PER_HOUR THEN /resume spaces the backlog by ceil(1 h / cap)', () => {
    expect(resumeSpacingMs(2)).toBe(30 * 60_000);
    expect(resumeSpacingMs(7)).toBe(Math.ceil(3_600_000 / 7));
    expect(resumeSpacingMs(1_000)).toBe(3_600);
  });
});
