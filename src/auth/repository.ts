import type { ApiRole } from '../db/generated/enums.js';
import type { PrismaClient } from '../db/generated/client.js';

/** Tokens as everything but the authentication lookup sees them: without the hash. */
const PUBLIC = { tokenHash: true } as const;

export const createToken = (c: PrismaClient, data: { name: string; role: ApiRole; tokenHash: string; prefix: string; createdBy: string }) =>
  c.apiToken.create({ data, omit: PUBLIC });

/** Every token, newest first (revoked ones too: the list is the record of who had access). */
export const listTokens = (c: PrismaClient) => c.apiToken.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], omit: PUBLIC });

export const findToken = (c: PrismaClient, id: string) => c.apiToken.findUnique({ where: { id }, omit: PUBLIC });

export const findByHash = (c: PrismaClient, tokenHash: string) => c.apiToken.findUnique({ where: { tokenHash }, omit: PUBLIC });

/** Marks the token revoked unless it already is; the first revocation's time is kept. */
export const revokeToken = (c: PrismaClient, id: string, at: Date) => c.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } });

export const touchToken = (c: PrismaClient, id: string, at: Date) => c.apiToken.update({ where: { id }, data: { lastUsedAt: at }, select: { id: true } });
