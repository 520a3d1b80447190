/**
 * The kinds of content the account posts, from the original design. Each has one prompt
 * template; `thread` is the only type that asks the model for a multi-tweet thread.
 */
export const CONTENT_TYPES = ['market_insight', 'launch_tips', 'education', 'safety', 'community', 'meme', 'thread'] as const;

export type ContentType = (typeof CONTENT_TYPES)[number];

/** Type guard for values read from the database or a slash-command option. */
export function isContentType(value: string): value is ContentType {
  return (CONTENT_TYPES as readonly string[]).includes(value);
}

/** Human labels for cards and command replies. */
export const CONTENT_TYPE_LABELS: Record<ContentType, string> = {
  market_insight: 'Market insight',
  launch_tips: 'Launch tips',
  education: 'Education',
  safety: 'Safety & rug awareness',
  community: 'Community',
  meme: 'Meme',
  thread: 'Thread',
};
