import { twitterText } from './twitter-text.js';
import { matchingForm } from './sanitise.js';

/** Stable ids of the risk flags. */
export type RiskFlagId = 'mentions_price' | 'names_token' | 'time_sensitive' | 'numbers_claim' | 'mentions_competitor' | 'image_content';

/**
 * Something a moderator should look at twice. Flags never block a draft; they are shown on the
 * card and, when REQUIRE_SECOND_APPROVAL is on, make a draft need a second approval.
 */
export interface RiskFlag {
  readonly id: RiskFlagId;
  /** Short label for the card, e.g. "mentions a price". */
  readonly label: string;
}

/** Card labels, in the order flags are reported. */
export const RISK_FLAG_LABELS: Readonly<Record<RiskFlagId, string>> = {
  mentions_price: 'mentions a price',
  names_token: 'names a token',
  time_sensitive: 'time-sensitive claim',
  numbers_claim: 'statistic that may need a source',
  mentions_competitor: 'mentions another launchpad',
  // Issue 14: what Claude found in an attached image that the hard rules forbid; the flag's own
  // label names the finding ("image 2: shows a wallet address"), this is the fallback.
  image_content: 'image content to check',
};

const AMOUNT = String.raw`\d[\d,]*(?:\.\d+)?\s?(?:k|m|b|bn|mm|thousand|million|billion)?`;

/** "$0.02", "$5k", "40 SOL", "market cap of 69k", "mcap 1.2M", "up 300%", "dropped 40%". */
const PRICE_PATTERNS: readonly RegExp[] = [
  /\$\s?\d/u,
  new RegExp(String.raw`\b${AMOUNT}\s?(?:sol|usdc|usdt|usd|dollars?)\b`, 'iu'),
  new RegExp(String.raw`\b(?:market\s?cap|mcap|mc|fdv|ath|all[-\s]time high|price)\b[^.\n]{0,20}?\d`, 'iu'),
  new RegExp(String.raw`\d[^.\n]{0,12}?\b(?:market\s?cap|mcap|mc|fdv)\b`, 'iu'),
  /\b(?:up|down|gained?|lost|rose|fell|pumped|dumped|dropped|surged|jumped|rall(?:y|ied)|crash(?:ed)?|[+-])\s?\d[\d,.]*\s?%/iu,
  /\d[\d,.]*\s?%\s?(?:up|down|gains?|loss(?:es)?|pump|dump|drop|increase|decrease|rally|surge|crash|move)\b/iu,
];

/** "CATS token", "coin called X", "token named X" (cashtags are found by twitter-text). */
const TOKEN_NAME_PATTERNS: readonly RegExp[] = [
  /\b(?:token|coin|memecoin|meme coin)s?\s+(?:called|named|ticker)\b/iu,
  /\b(?!(?:NFT|DEX|CEX|AI|API|SPL|SOL|USD|ETH|BTC)\s)[A-Z][A-Z0-9]{1,9}\s+(?:token|coin|memecoin)\b/u,
  /\bticker\s*:\s*\$?[A-Za-z0-9]{2,10}\b/iu,
  /\b[Tt]icker\s+\$?[A-Z][A-Z0-9]{1,9}\b/u,
];

const TIME_SENSITIVE_PATTERNS: readonly RegExp[] = [
  /\b(?:today|tonight|tomorrow|right now|this (?:morning|evening|week|weekend)|in the next \d+\s?(?:min(?:ute)?s?|h(?:ou)?rs?|hours?|days?))\b/iu,
  /\b(?:hurry|last chance|ends soon|ending soon|limited time|only \d+ (?:left|spots|hours)|before it'?s too late|don'?t miss|breaking|just launched|live now|now live)\b/iu,
  /\b(?:24|48)\s?h(?:ours?|rs?)?\b/iu,
];

/** Percentages and counts that read as statistics: "90% of tokens", "12,000 launches", "1 in 10". */
const NUMBERS_CLAIM_PATTERNS: readonly RegExp[] = [
  /\d[\d,.]*\s?%/u,
  new RegExp(
    String.raw`\b${AMOUNT}\+?\s+(?:new\s+)?(?:tokens|coins|memecoins|users|traders|launches|wallets|people|holders|projects|creators|devs|transactions|txs|trades)\b`,
    'iu',
  ),
  /\b\d+\s+(?:in|out of)\s+\d+\b/iu,
  /\b(?:most|majority of|studies show|data shows|research shows|on average)\b/iu,
];

/** Other Solana launchpads; brand policy is to not name them without a human look. */
const COMPETITOR_PATTERNS: readonly RegExp[] = [
  /\b(?:letsbonk|bonk\.fun|launchlab|boop\.fun|bags\.fm|sunpump|four\.meme|believe\.app|daos\.fun|moonit)\b/iu,
  /\bMoonshot\b/u,
  /\bRaydium LaunchLab\b/iu,
];

/**
 * Scans a draft for things that do not break a rule but deserve a careful human look. Each
 * flag appears at most once per draft, in the order of {@link RISK_FLAG_LABELS}. Heuristic by
 * design: a false flag costs a moderator a glance, a missed one costs a bad post. Each tweet is
 * scanned as written and in its {@link matchingForm}.
 */
export function detectRiskFlags(tweets: readonly string[]): RiskFlag[] {
  const found = new Set<RiskFlagId>();
  // The folded form too, so "$\u200B2" or a Cyrillic "с" in "Moonshot" cannot hide a flag.
  for (const text of tweets.flatMap((tweet) => [tweet, matchingForm(tweet)])) {
    if (PRICE_PATTERNS.some((re) => re.test(text))) found.add('mentions_price');
    if (twitterText().extractCashtags(text).length > 0 || TOKEN_NAME_PATTERNS.some((re) => re.test(text))) {
      found.add('names_token');
    }
    if (TIME_SENSITIVE_PATTERNS.some((re) => re.test(text))) found.add('time_sensitive');
    if (NUMBERS_CLAIM_PATTERNS.some((re) => re.test(text))) found.add('numbers_claim');
    if (COMPETITOR_PATTERNS.some((re) => re.test(text))) found.add('mentions_competitor');
  }
  return (Object.keys(RISK_FLAG_LABELS) as RiskFlagId[]).filter((id) => found.has(id)).map((id) => ({ id, label: RISK_FLAG_LABELS[id] }));
}
