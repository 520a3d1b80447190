import { describe, expect, it } from 'vitest';
import { detectRiskFlags, type RiskFlagId } from '../../src/domain/risk-flags.js';

const ids = (tweets: string[]): RiskFlagId[] => detectRiskFlags(tweets).map((flag) => flag.id);

describe('detectRiskFlags', () => {
  it('GIVEN an evergreen educational tweet THEN there are no flags', () => {
    expect(detectRiskFlags(['Before you launch, write down why your token exists and who it is for.'])).toEqual([]);
  });

  it.each([
    'It trades at $0.002 right after launch',
    'Graduation happens around a market cap of 69k',
    'mcap 1.2M already',
    'Bonding curve fills at 85 SOL',
    'The chart is up 300% this cycle',
    'A 40% drop in a day is normal for memecoins',
  ])('GIVEN %j THEN mentions_price is flagged', (text) => {
    expect(ids([text])).toContain('mentions_price');
  });

  it('GIVEN a price flag THEN it carries the card label', () => {
    expect(detectRiskFlags(['Worth $5 now'])).toContainEqual({ id: 'mentions_price', label: 'mentions a price' });
  });

  it.each(['Everyone is talking about $BONK', 'The PUMP token has a new use', 'A coin called Fartcoin', 'Ticker: WIF', 'ticker PNUT'])(
    'GIVEN %j THEN names_token is flagged',
    (text) => {
      expect(ids([text])).toContain('names_token');
    },
  );

  it('GIVEN generic words like "SPL token" or "AI coins" THEN names_token is not flagged', () => {
    expect(ids(['Every SPL token has a mint authority'])).not.toContain('names_token');
    expect(ids(['AI coins are a trend'])).not.toContain('names_token');
    expect(ids(['Pick a ticker that is easy to remember'])).not.toContain('names_token');
  });

  it.each(['Launch today and see', 'Right now the queue is short', 'Last chance to join the stream', 'Only live for 24h'])(
    'GIVEN %j THEN time_sensitive is flagged',
    (text) => {
      expect(ids([text])).toContain('time_sensitive');
    },
  );

  it.each(['90% of new tokens never graduate', 'Over 12,000 tokens launched this week', '1 in 10 creators come back', 'Data shows holders prefer locks'])(
    'GIVEN %j THEN numbers_claim is flagged',
    (text) => {
      expect(ids([text])).toContain('numbers_claim');
    },
  );

  it('GIVEN another launchpad by name THEN mentions_competitor is flagged', () => {
    expect(ids(['Compared with LetsBonk, fees differ'])).toEqual(['mentions_competitor']);
    expect(ids(['A moonshot idea'])).not.toContain('mentions_competitor');
  });

  it('GIVEN the same flag in several tweets THEN it is reported once, in the fixed order', () => {
    const flags = detectRiskFlags(['Up 50% today', '$SOL at $150', 'Now 90% of launches are memes']);
    expect(flags.map((flag) => flag.id)).toEqual(['mentions_price', 'names_token', 'time_sensitive', 'numbers_claim']);
    expect(new Set(flags.map((flag) => flag.id)).size).toBe(flags.length);
  });
});

describe('detectRiskFlags: disguised text (issue 10, item 3)', () => {
  it('GIVEN a price or a competitor hidden behind invisible or look-alike characters THEN the flag is still raised', () => {
    expect(ids(['It costs about $\u200B2 in fees'])).toContain('mentions_price');
    expect(ids(['Compare it with Mооnshot'])).toContain('mentions_competitor'); // Cyrillic о
  });
});
