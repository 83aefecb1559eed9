export const ROLES = ['owner', 'support', 'platform', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The caller behind a bearer token. */
export interface Principal {
  role: Role;
  /** Who they are: an owner's name, a support agent, a platform component. */
  subject: string;
}

/** The actor recorded in event metadata and audit entries. */
export const actorOf = (principal: Principal): string => `${principal.role}:${principal.subject}`;

export const isRole = (value: unknown): value is Role => (ROLES as readonly unknown[]).includes(value);
