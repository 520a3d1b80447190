/**
 * The original design's content types as default topics: what the SeedDefaultTopics migration
 * seeded, and what every new account starts with. Weights are relative (they need not sum to
 * 100): education and market insight lead, safety keeps a steady share, and memes and threads
 * are spice. Moderators tune them later with `/topics set`.
 */
export const DEFAULT_TOPICS: ReadonlyArray<{ name: string; contentType: string; weight: number; description: string }> = [
  {
    name: 'market-insight',
    contentType: 'market_insight',
    weight: 20,
    description:
      'What activity on Pump.fun shows about launches: volume patterns, bonding-curve graduations, narratives that come and go. Observations, never predictions.',
  },
  {
    name: 'launch-tips',
    contentType: 'launch_tips',
    weight: 15,
    description: 'Practical advice for creators launching a coin on Pump.fun: a clear concept, honest description, community first, realistic expectations.',
  },
  {
    name: 'education',
    contentType: 'education',
    weight: 20,
    description: 'How Pump.fun works: bonding curves, graduation to a DEX, fees, slippage, liquidity, reading a token page. Plain explanations for newcomers.',
  },
  {
    name: 'safety',
    contentType: 'safety',
    weight: 15,
    description: 'Safety and rug awareness: red flags, phishing and fake links, wallet hygiene, never sharing seed phrases, only risking what you can lose.',
  },
  {
    name: 'community',
    contentType: 'community',
    weight: 10,
    description: 'Community culture: questions to the audience, celebrating builders, the fun of the trenches, without shilling any coin.',
  },
  {
    name: 'memes',
    contentType: 'meme',
    weight: 10,
    description: 'Light, self-aware degen humour about launching and trading on Pump.fun, never mocking victims of scams.',
  },
  {
    name: 'deep-dive-thread',
    contentType: 'thread',
    weight: 10,
    description: 'A 2-6 tweet thread that explains one Pump.fun concept or safety lesson step by step.',
  },
];
