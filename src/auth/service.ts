import { z } from 'zod';
import type { Database } from '../db/database.js';
import { errors } from '../errors.js';
import { LOCAL_ADMIN, requireRole, type Actor, type Role } from '../registry/actor.js';
import { parse } from '../registry/input.js';
import * as repo from './repository.js';
import { hashToken, newTokenSecret, TOKEN_PREFIX } from './secrets.js';

export type AuthMode = 'required' | 'open';

/** A token as users see it: never its hash, and its secret only in the answer that created it. */
export type ApiTokenInfo = Awaited<ReturnType<typeof repo.listTokens>>[number];

const ROLES = ['viewer', 'editor', 'admin'] as const satisfies readonly Role[];

const createInput = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  role: z.enum(ROLES, { message: 'must be viewer, editor or admin' }),
});

const tokenId = z.string().uuid('is not a token id');

// lastUsedAt is a hint for spotting unused tokens, not an access log: writing it on every
// request would double the writes of a busy client, so it is refreshed at most once a minute.
const TOUCH_MS = 60_000;

/**
 * API tokens: creation (the secret is returned once and only its sha256 is stored), listing,
 * revocation, and authentication of a presented secret into the actor it acts as.
 */
export class AuthService {
  constructor(
    private readonly db: Database,
    /** `open`: no tokens are asked for and every caller is the local admin */
    readonly mode: AuthMode,
  ) {}

  /** Creates a token with a role; admin only. The answer is the only place its secret appears. */
  async create(actor: Actor, raw: unknown): Promise<{ token: ApiTokenInfo; secret: string }> {
    requireRole(actor, 'admin', 'Creating an API token');
    const input = parse(createInput, raw);
    const { secret, hash, prefix } = newTokenSecret();
    const token = await repo.createToken(this.db.prisma, { name: input.name, role: input.role, tokenHash: hash, prefix, createdBy: actor.name });
    return { token, secret };
  }

  /** Every token, newest first, revoked ones included; admin only. */
  async list(actor: Actor): Promise<ApiTokenInfo[]> {
    requireRole(actor, 'admin', 'Listing API tokens');
    return repo.listTokens(this.db.prisma);
  }

  /** Revokes a token at once (its next request is refused); admin only. Revoking twice is harmless. */
  async revoke(actor: Actor, id: string): Promise<ApiTokenInfo> {
    requireRole(actor, 'admin', 'Revoking an API token');
    const valid = tokenId.safeParse(id).success;
    if (valid) await repo.revokeToken(this.db.prisma, id, new Date());
    const token = valid ? await repo.findToken(this.db.prisma, id) : null;
    if (!token) throw errors.tokenNotFound(id);
    return token;
  }

  /**
   * The actor a presented secret acts as, or null when it is unknown or revoked. In open mode
   * there is nothing to check: every caller is the local admin.
   */
  async authenticate(secret: string | undefined): Promise<Actor | null> {
    if (this.mode === 'open') return LOCAL_ADMIN;
    if (!secret?.startsWith(TOKEN_PREFIX)) return null;
    const token = await repo.findByHash(this.db.prisma, hashToken(secret));
    if (!token || token.revokedAt) return null;
    const now = new Date();
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > TOUCH_MS) await repo.touchToken(this.db.prisma, token.id, now);
    return { name: token.name, role: token.role };
  }
}
