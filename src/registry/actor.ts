import { userInfo } from 'node:os';
import { errors } from '../errors.js';

export type Role = 'viewer' | 'editor' | 'admin';

/** Who asks for a change: recorded in the audit log and checked against protected aliases. */
export interface Actor {
  name: string;
  role: Role;
}

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/**
 * The single user of an unauthenticated server: the embedded database belongs to one person,
 * and until authentication exists (issue 7) every GraphQL caller acts as this local admin.
 */
export const LOCAL_ADMIN: Actor = { name: 'local', role: 'admin' };

/** The person at the terminal, for CLI commands (an admin of their own data folder). */
export function cliActor(): Actor {
  let name = 'local';
  try {
    name = `local:${userInfo().username}`;
  } catch {
    // no passwd entry (some containers): the generic name will do
  }
  return { name, role: 'admin' };
}

/** Throws FORBIDDEN unless the actor's role is at least `needed`. */
export function requireRole(actor: Actor, needed: Role, action: string): void {
  if ((RANK[actor.role] ?? -1) < RANK[needed]) throw errors.forbidden(action, needed, actor.role);
}

export const isAdmin = (actor: Actor) => actor.role === 'admin';
