import type { FaultRule } from './types';

export interface RequestFacts {
  readonly server: 'hub' | 'cdn';
  readonly method: string;
  /** Decoded URL path, without the query. */
  readonly path: string;
}

/** What the response will carry if no fault changes it; decides which rules can apply. */
export interface ReplyFacts {
  readonly status: number;
  readonly hasBody: boolean;
  readonly rangeRequested: boolean;
  /** The byte span of the full resource the body will carry (file offsets for files). */
  readonly span: { readonly start: number; readonly end: number };
}

/**
 * A string matches a path equal to it or ending in "/" + it (so a bare file name matches both the hub's
 * resolve URL and the CDN URL of that file); a RegExp is tested against the decoded path.
 */
export function pathMatches(pattern: string | RegExp, path: string): boolean {
  if (typeof pattern === 'string') return path === pattern || path.endsWith(`/${pattern}`);
  pattern.lastIndex = 0;
  return pattern.test(path);
}

function ruleMatches(rule: FaultRule, request: RequestFacts): boolean {
  const match = rule.match;
  if (!match) return true;
  if (match.server !== undefined && match.server !== request.server) return false;
  if (match.method !== undefined && match.method.toUpperCase() !== request.method.toUpperCase()) return false;
  if (match.path !== undefined && !pathMatches(match.path, request.path)) return false;
  return true;
}

/** Body faults only touch successful responses that carry content; a redirect or an error passes untouched. */
function ruleApplies(rule: FaultRule, reply: ReplyFacts): boolean {
  const carriesContent = reply.hasBody && reply.status >= 200 && reply.status < 300;
  switch (rule.kind) {
    case 'status':
    case 'not-found':
    case 'rate-limit':
      return true;
    case 'ignore-range':
      return reply.rangeRequested && carriesContent;
    case 'corrupt':
      return carriesContent && (rule.atByte === undefined || (rule.atByte >= reply.span.start && rule.atByte < reply.span.end));
    case 'drop-after':
    case 'stall':
    case 'truncate':
    case 'trickle':
      return carriesContent;
  }
}

function isEarly(rule: FaultRule): boolean {
  return rule.kind === 'status' || rule.kind === 'not-found' || rule.kind === 'rate-limit';
}

/** Holds the rules set by tests; the first live rule that matches a request and applies to its reply wins. */
export class FaultBook {
  private rules: { rule: FaultRule; left: number }[] = [];

  set(rules: FaultRule[]): void {
    this.rules = rules.map((rule) => ({ rule, left: rule.times ?? Number.POSITIVE_INFINITY }));
  }

  /** Faults that decide before the reply is built (status codes, 404s, 429s). */
  takeEarly(request: RequestFacts): FaultRule | undefined {
    return this.take(request, isEarly);
  }

  takeForReply(request: RequestFacts, reply: ReplyFacts): FaultRule | undefined {
    return this.take(request, (rule) => !isEarly(rule) && ruleApplies(rule, reply));
  }

  private take(request: RequestFacts, eligible: (rule: FaultRule) => boolean): FaultRule | undefined {
    for (const entry of this.rules) {
      if (entry.left <= 0 || !ruleMatches(entry.rule, request) || !eligible(entry.rule)) continue;
      entry.left--;
      return entry.rule;
    }
    return undefined;
  }
}
