// Operation is how scripts/gen-api.mjs describes one RPC the gateway routes (see operations.gen.ts).

/** The access rule of an RPC, as its proto declares it (fupin.common.v1.AccessRule), in claim codes. */
export interface AccessRule {
  /** Departments whose officials may call it; empty: every department. */
  readonly departments: readonly string[]
  /** Roles that may call it. */
  readonly roles: readonly string[]
  /** Who may read personal data in plain text through it: a department's roles, for the purposes listed. */
  readonly plainText: readonly PlainTextGrant[]
  /** Public methods need no sign-in. */
  readonly public: boolean
}

/** A plain-text grant (fupin.common.v1.PlainTextGrant), in claim and header codes. */
export interface PlainTextGrant {
  readonly department: string
  readonly roles: readonly string[]
  readonly purposes: readonly string[]
}

/** One RPC: its HTTP rule (google.api.http) and access rule. */
export interface Operation {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  /** The path template, e.g. "/v1/{name=cases/*}:decide". */
  readonly path: string
  /** The request field sent as the body: "" (none), "*" (the whole request) or a field name. */
  readonly body: string
  /** Read-only (idempotency_level NO_SIDE_EFFECTS). */
  readonly read: boolean
  readonly access: AccessRule
}
