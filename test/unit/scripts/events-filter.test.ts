import { describe, expect, it } from 'vitest';
import { matches, parseFilters } from '../../../scripts/events.ts';
import { UsageError } from '../../../scripts/lib/cli.ts';

const event = { event_id: 'e1', event_type: 'purchase', user_id: 'U1', session_id: null };

describe('npm run events --filter', () => {
  it('takes field=value, with alternatives for one field and all fields to match', () => {
    expect(matches(event, parseFilters(['event_type=purchase']))).toBe(true);
    expect(matches(event, parseFilters(['event_type=view']))).toBe(false);
    expect(matches(event, parseFilters(['event_type=view,purchase']))).toBe(true);
    expect(matches(event, parseFilters(['event_type=view', 'event_type=purchase']))).toBe(true);
    expect(matches(event, parseFilters(['event_type=purchase', 'user_id=U2']))).toBe(false);
    expect(matches(event, parseFilters(['session_id=null']))).toBe(true);
    expect(matches(event, parseFilters([]))).toBe(true);
  });

  it('refuses anything else in one line', () => {
    expect(() => parseFilters(['purchase'])).toThrow(UsageError);
    expect(() => parseFilters(['event_type='])).toThrow(
      '--filter takes field=value, like event_type=purchase; got "event_type="',
    );
  });
});
