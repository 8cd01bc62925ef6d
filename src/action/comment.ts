/**
 * The sticky pull-request comment: one comment per report, found again by a hidden marker and
 * updated in place on every push, never duplicated. The GitHub client is injected, so the logic is
 * tested with a fake.
 */

/** The few comment calls the sticky comment needs. */
export interface CommentClient {
  /** Every comment on the pull request (all pages), with its author's login. */
  list(): Promise<Array<{ id: number; body?: string | null; author?: string | null }>>;
  /** The login comments are written as (the token's identity). */
  identity(): Promise<string>;
  create(body: string): Promise<{ id: number }>;
  update(id: number, body: string): Promise<{ id: number }>;
}

/** GitHub refuses comment bodies longer than this. */
export const MAX_COMMENT_CHARS = 65_536;

/**
 * The hidden marker of a sticky comment. The key tells apart several leakcheck comments on one
 * pull request (one per service); `--` cannot end the HTML comment early.
 *
 * @param key - what the comment is about (the artifact name)
 * @returns the marker line
 */
export function stickyMarker(key: string): string {
  return `<!-- leakcheck-sticky-comment: ${key.replace(/-{2,}/g, '-').replace(/[<>]/g, '')} -->`;
}

/**
 * The login a GITHUB_TOKEN writes as: installation tokens cannot read their own user, so this is
 * what the identity falls back to.
 */
export const ACTIONS_BOT = 'github-actions[bot]';

/**
 * Creates the comment, or updates the one carrying the marker (the oldest, if several) that was
 * written by the same identity: a comment anyone else wrote (quoting the marker, or forging it) is
 * never edited.
 *
 * @param client - comment calls on one pull request
 * @param marker - from {@link stickyMarker}
 * @param body - the Markdown (the marker is added)
 * @returns what was done and the comment's id
 */
export async function upsertStickyComment(
  client: CommentClient,
  marker: string,
  body: string,
): Promise<{ action: 'created' | 'updated'; id: number }> {
  const text = `${marker}\n${body}`;
  if (text.length > MAX_COMMENT_CHARS) {
    throw new RangeError(`comment of ${text.length} characters is over GitHub's ${MAX_COMMENT_CHARS}`);
  }
  const me = await client.identity();
  const existing = (await client.list())
    .filter((c) => c.author === me && typeof c.body === 'string' && c.body.includes(marker))
    .sort((a, b) => a.id - b.id)[0];
  if (existing) return { action: 'updated', id: (await client.update(existing.id, text)).id };
  return { action: 'created', id: (await client.create(text)).id };
}
