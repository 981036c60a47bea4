"use client";
/**
 * `portcullis/react`: permission HINTS for the UI.
 *
 * ┌──────────────────────────────────────────────────────────────────────┐
 * │ NOT ENFORCEMENT. Everything here runs in the user's browser, which the │
 * │ user controls. Use it to hide or disable buttons the user could not    │
 * │ use anyway. Every action must still be authorized on the server (the   │
 * │ proxy, `authorize()` in route handlers / server actions, or your API). │
 * └──────────────────────────────────────────────────────────────────────┘
 *
 * Two sources of decisions, usable together:
 * - `hints`: a serializable map computed on the server with
 *   `permissionHints()` from `portcullis/next` (no wasm in the browser);
 * - `authorizer` + `principal`: a browser `Authorizer` (from
 *   `portcullis/browser`) evaluating the same bundle locally.
 * `hints` win; an unknown decision is "no".
 */

import { createContext, createElement, useContext, useMemo, type ReactNode } from "react";

/** Decisions keyed `"kind:id"` then action (as `permissionHints` returns). */
export type PermissionHints = Record<string, Record<string, boolean>>;

/** A resource as the hooks take it: an object or a `"kind:id"` string. */
export type ResourceRef = string | { kind: string; id: string; attr?: Record<string, unknown>; scope?: string; policyVersion?: string };

/** The part of a browser `Authorizer` the provider uses. */
export interface HintAuthorizer {
  checkResource(request: {
    principal: { id: string; roles: string[]; attr?: Record<string, unknown> };
    resource: { kind: string; id: string; attr?: Record<string, unknown> };
    actions: string[];
  }): { isAllowed(action: string): boolean | undefined };
}

interface HintContext {
  hints: PermissionHints;
  authorizer: HintAuthorizer | undefined;
  principal: { id: string; roles: string[]; attr?: Record<string, unknown> } | undefined;
}

const Ctx = createContext<HintContext | null>(null);

/** Props of {@link PortcullisProvider}. */
export interface PortcullisProviderProps {
  /** Server-computed decisions (see `permissionHints` in `portcullis/next`). */
  hints?: PermissionHints;
  /** A browser authorizer, for resources the hints do not cover. */
  authorizer?: HintAuthorizer;
  /** The principal for `authorizer` (e.g. from `clerkPrincipal`). */
  principal?: { id: string; roles: string[]; attr?: Record<string, unknown> };
  children?: ReactNode;
}

/** Makes permission hints available to {@link useCan} and {@link Can}. UI hints only. */
export function PortcullisProvider(props: PortcullisProviderProps): ReactNode {
  const { hints, authorizer, principal, children } = props;
  const value = useMemo<HintContext>(
    () => ({ hints: hints ?? {}, authorizer, principal }),
    [hints, authorizer, principal],
  );
  return createElement(Ctx.Provider, { value }, children);
}

function keyOf(resource: ResourceRef): string {
  return typeof resource === "string" ? resource : `${resource.kind}:${resource.id}`;
}

/** Decides from a context; exported for tests and non-hook callers. */
export function canFrom(ctx: HintContext | null, action: string, resource: ResourceRef): boolean {
  if (!ctx) return false;
  const hinted = ctx.hints[keyOf(resource)]?.[action];
  if (typeof hinted === "boolean") return hinted;
  if (ctx.authorizer && ctx.principal && typeof resource !== "string") {
    try {
      const r = ctx.authorizer.checkResource({
        principal: ctx.principal,
        resource: resource.attr ? { kind: resource.kind, id: resource.id, attr: resource.attr } : { kind: resource.kind, id: resource.id },
        actions: [action],
      });
      return r.isAllowed(action) === true;
    } catch {
      // A hint that cannot be computed is "no": hiding a button is safe.
      return false;
    }
  }
  return false;
}

/**
 * Whether the UI should offer `action` on `resource`. A HINT for rendering,
 * not a permission check: the server must authorize the action itself.
 * Outside a provider, or when nothing is known, the answer is `false`.
 */
export function useCan(action: string, resource: ResourceRef): boolean {
  const ctx = useContext(Ctx);
  return canFrom(ctx, action, resource);
}

/** Props of {@link Can}. */
export interface CanProps {
  action: string;
  resource: ResourceRef;
  /** Rendered when the hint says yes. */
  children?: ReactNode;
  /** Rendered otherwise (default nothing). */
  fallback?: ReactNode;
}

/**
 * Renders `children` when the hint allows `action` on `resource`, else
 * `fallback`. UI hint only — never a substitute for server-side checks.
 */
export function Can(props: CanProps): ReactNode {
  const allowed = useCan(props.action, props.resource);
  return allowed ? (props.children ?? null) : (props.fallback ?? null);
}
