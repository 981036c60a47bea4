// Request, response and decision-log shapes. Names and structure follow
// @cerbos/core (the Cerbos JavaScript SDK), so code written against
// @cerbos/embedded or @cerbos/grpc/http reads the same here.

/** A JSON value, as attributes, globals and outputs carry them. */
export type Value =
  | null
  | boolean
  | number
  | string
  | Value[]
  | { [key: string]: Value };

/** Something that may be a promise. */
export type Awaitable<T> = T | PromiseLike<T>;

/** Policy decision for one action. */
export const Effect = {
  ALLOW: "EFFECT_ALLOW",
  DENY: "EFFECT_DENY",
} as const;
/** Policy decision for one action (`"EFFECT_ALLOW"` or `"EFFECT_DENY"`). */
export type Effect = (typeof Effect)[keyof typeof Effect];

/** The principal (user or service) whose permissions are checked. */
export interface Principal {
  id: string;
  roles: string[];
  /** Attributes, available to conditions as `P.attr`. */
  attr?: Record<string, Value>;
  /** @deprecated use `attr` (accepted for @cerbos/core compatibility). */
  attributes?: Record<string, Value>;
  policyVersion?: string;
  scope?: string;
}

/** The resource on which actions are checked. */
export interface Resource {
  kind: string;
  id: string;
  /** Attributes, available to conditions as `R.attr`. */
  attr?: Record<string, Value>;
  /** @deprecated use `attr` (accepted for @cerbos/core compatibility). */
  attributes?: Record<string, Value>;
  policyVersion?: string;
  scope?: string;
}

/** A resource with the actions to check on it. */
export interface ResourceCheck {
  resource: Resource;
  actions: string[];
}

/** A JWT to verify and expose to conditions as `request.auxData.jwt`. */
export interface JWT {
  token: string;
  /** Key set to verify with; optional when exactly one key set is configured. */
  keySetId?: string;
}

/** Auxiliary data sent with a request. */
export interface AuxData {
  jwt?: JWT;
}

/** Input to {@link Authorizer.checkResources}. */
export interface CheckResourcesRequest {
  principal: Principal;
  resources: ResourceCheck[];
  auxData?: AuxData;
  /** Include matched policies and effective derived roles in the results. */
  includeMetadata?: boolean;
  /** Identifier for tracing; a random UUID when absent. */
  requestId?: string;
}

/** Input to {@link Authorizer.checkResource}. */
export interface CheckResourceRequest {
  principal: Principal;
  resource: Resource;
  actions: string[];
  auxData?: AuxData;
  includeMetadata?: boolean;
  requestId?: string;
}

/** Input to {@link Authorizer.isAllowed}. */
export interface IsAllowedRequest {
  principal: Principal;
  resource: Resource;
  action: string;
  auxData?: AuxData;
  requestId?: string;
}

/** The resource a result is about. */
export interface CheckResourcesResultResource {
  id: string;
  kind: string;
  policyVersion: string;
  scope: string;
}

/** Where a schema validation error was found. */
export type ValidationErrorSource = "SOURCE_PRINCIPAL" | "SOURCE_RESOURCE";

/** An attribute that does not match the policy's schema. */
export interface ValidationError {
  path: string;
  message: string;
  source: ValidationErrorSource;
}

/** How the decision for one action was reached. */
export interface CheckResourcesResultMetadataEffect {
  matchedPolicy: string;
  matchedScope: string;
}

/** How the decisions were reached (only with `includeMetadata`). */
export interface CheckResourcesResultMetadata {
  actions: Record<string, CheckResourcesResultMetadataEffect | undefined>;
  effectiveDerivedRoles: string[];
}

/** A user-defined output of a policy rule. */
export interface OutputResult {
  /** The rule that produced the output. */
  source: string;
  /** The action the rule was evaluated for. */
  action: string;
  value: Value | undefined;
}

/** Selects one result of a {@link CheckResourcesResponse}. */
export interface ResourceSearch {
  kind: string;
  id: string;
  policyVersion?: string;
  scope?: string;
}

/** Per-action decision as recorded in a decision log entry. */
export interface CheckOutputActionEffect {
  effect: Effect;
  policy: string;
  scope: string;
}

/** One resource check as recorded in a decision log entry. */
export interface CheckInput {
  requestId: string;
  principal: Required<Omit<Principal, "attributes">>;
  resource: Required<Omit<Resource, "attributes">>;
  actions: string[];
  auxData: { jwt: Record<string, Value> } | undefined;
}

/** One resource decision as recorded in a decision log entry. */
export interface CheckOutput {
  requestId: string;
  resourceId: string;
  actions: Record<string, CheckOutputActionEffect>;
  effectiveDerivedRoles: string[];
  validationErrors: ValidationError[];
  outputs: OutputResult[];
  evaluationErrors: string[];
}

/** The method part of a decision log entry. */
export interface DecisionLogEntryCheckResources {
  name: "CheckResources";
  inputs: CheckInput[];
  outputs: CheckOutput[];
  error: string | undefined;
}

/** Client details of a decision log entry (always local here). */
export interface Peer {
  address: string;
  authInfo: string;
  userAgent: string;
  forwardedFor: string;
}

/** Policy source details of a decision log entry. */
export interface PolicySource {
  kind: "portcullis";
  /** Digest of the bundle that made the decision. */
  bundleDigest: string;
}

/**
 * A decision, shaped like @cerbos/core's `DecisionLogEntry` (what Cerbos
 * writes to its audit log), passed to `onDecision`.
 */
export interface DecisionLogEntry {
  callId: string;
  timestamp: Date;
  peer: Peer;
  metadata: Record<string, string[]>;
  auditTrail: { effectivePolicies: Record<string, Record<string, Value>> };
  method: DecisionLogEntryCheckResources;
  oversized: boolean;
  policySource: PolicySource | undefined;
}

/** A JWT key set: a JWKS (object or JSON text) or PEM text. */
export interface KeySet {
  id: string;
  /** A JSON Web Key Set (`{"keys": [...]}`) as an object or JSON text. */
  jwks?: Value | string;
  /**
   * One or more PEM-encoded keys: public keys, certificates, or private keys
   * of which only the public half is used (an EC key's point is derived with
   * WebCrypto when the PEM leaves it out, as Cerbos does).
   */
  pem?: string;
  /** Cerbos's relaxations: keys without `alg`, tokens without `kid`. */
  insecure?: { optionalAlg?: boolean; optionalKid?: boolean };
}

/** JWT verification settings (Cerbos `auxData.jwt`). */
export interface JwtOptions {
  keySets?: KeySet[];
  /** Accepted clock skew for `exp`/`nbf`/`iat`, in seconds. */
  leeway?: number;
  /** Skip signature checks (time claims are still validated), as Cerbos allows. */
  disableVerification?: boolean;
}

/** How attribute schemas are enforced (Cerbos `schema.enforcement`). */
export type SchemaEnforcement = "none" | "warn" | "reject";
