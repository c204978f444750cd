/**
 * Reading the CloudFormation template `serverless package` renders (offline, no credentials): package it,
 * resolve the few intrinsic functions our templates use into plain strings, and evaluate IAM statements
 * the way IAM does for the cases that matter here (Allow unless an explicit Deny also matches).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';

export type Json = any;

export interface Template {
  Resources: Record<string, { Type: string; Properties?: Json; Condition?: string; DependsOn?: Json }>;
  Conditions?: Record<string, Json>;
}

export interface Packaged {
  template: Template;
  /** Wall-clock time of `serverless package`, for the report. */
  ms: number;
}

const repoRoot = resolvePath(__dirname, '../..');

/** Runs `npx serverless package` into a fresh directory, reads the template, and removes the directory. */
export async function packageTemplate(stage: string, params: Record<string, string> = {}): Promise<Packaged> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-package-'));
  try {
    const args = ['serverless', 'package', '--stage', stage, '--package', dir];
    for (const [name, value] of Object.entries(params)) args.push(`--param=${name}=${value}`);
    const started = Date.now();
    await run('npx', args);
    const ms = Date.now() - started;
    const text = await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8');
    return { template: JSON.parse(text) as Template, ms };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: repoRoot,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      // No terminal and no stdin: serverless must never wait for an answer.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      if (code === 0) done();
      else fail(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}:\n${output}`));
    });
  });
}

/** What a Ref or GetAtt that is not a pseudo parameter becomes once resolved. */
export const refOf = (logicalId: string) => `{Ref:${logicalId}}`;
export const attOf = (logicalId: string, attribute: string) => `{${logicalId}.${attribute}}`;

const pseudo: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
};

/**
 * Resolves a template value to a plain string: Ref (pseudo parameters to sample values, resources to
 * `{Ref:Id}`), Fn::GetAtt (`{Id.Attribute}`), Fn::Join, Fn::If (by evaluating the template's conditions).
 * Anything else is an error, so a template that outgrows this fails loudly instead of passing.
 */
export function resolve(template: Template, value: Json): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if ('Ref' in value) return pseudo[value.Ref] ?? refOf(value.Ref);
    if ('Fn::GetAtt' in value) {
      const att = value['Fn::GetAtt'];
      const [id, attribute] = Array.isArray(att) ? att : String(att).split('.');
      return attOf(id, attribute);
    }
    if ('Fn::Join' in value) {
      const [separator, parts] = value['Fn::Join'];
      return (parts as Json[]).map((part) => resolve(template, part)).join(separator);
    }
    if ('Fn::If' in value) {
      const [condition, whenTrue, whenFalse] = value['Fn::If'];
      return resolve(template, isTrue(template, condition) ? whenTrue : whenFalse);
    }
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** A list-valued property after Fn::If: the chosen branch, with AWS::NoValue as "absent". */
export function resolveList(template: Template, value: Json): Json[] | undefined {
  if (value && typeof value === 'object' && !Array.isArray(value) && 'Fn::If' in value) {
    const [condition, whenTrue, whenFalse] = value['Fn::If'];
    return resolveList(template, isTrue(template, condition) ? whenTrue : whenFalse);
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && value.Ref === 'AWS::NoValue') {
    return undefined;
  }
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}

/** Evaluates a named condition (Fn::Equals, Fn::Not, Fn::And, Fn::Or over literals and conditions). */
export function isTrue(template: Template, name: string): boolean {
  const condition = template.Conditions?.[name];
  if (condition === undefined) throw new Error(`no condition ${name}`);
  return evaluate(template, condition);
}

function evaluate(template: Template, expression: Json): boolean {
  if ('Fn::Equals' in expression) {
    const [a, b] = expression['Fn::Equals'];
    return resolve(template, a) === resolve(template, b);
  }
  if ('Fn::Not' in expression) return !evaluate(template, expression['Fn::Not'][0]);
  if ('Fn::And' in expression) return expression['Fn::And'].every((e: Json) => evaluate(template, e));
  if ('Fn::Or' in expression) return expression['Fn::Or'].some((e: Json) => evaluate(template, e));
  if ('Condition' in expression) return isTrue(template, expression.Condition);
  throw new Error(`cannot evaluate condition ${JSON.stringify(expression)}`);
}

export function resourcesOfType(template: Template, type: string): [string, Json][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** The one resource of a type that satisfies `pick`. */
export function only(template: Template, type: string, pick: (properties: Json) => boolean): [string, Json] {
  const found = resourcesOfType(template, type).filter(([, resource]) => pick(resource.Properties ?? {}));
  if (found.length !== 1)
    throw new Error(`expected one ${type}, found ${found.map(([id]) => id).join(', ')}`);
  return found[0];
}

/** IAM's wildcards: `*` is any run of characters (including '/'), `?` any one character. */
export function wildcard(pattern: string, flags = ''): RegExp {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, flags);
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
  Condition?: Json;
}

/** Every statement that applies to a role: its inline policies and any AWS::IAM::Policy attached to it. */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const role = template.Resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role`);
  // A managed policy would be invisible to this evaluation: there must be none.
  if (role.Properties.ManagedPolicyArns?.length) throw new Error(`${roleId} has managed policies`);
  const documents: Json[] = (role.Properties.Policies ?? []).map((p: Json) => p.PolicyDocument);
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const roles: Json[] = policy.Properties.Roles ?? [];
    if (roles.some((r) => r?.Ref === roleId)) documents.push(policy.Properties.PolicyDocument);
  }
  return documents
    .flatMap((document) => [document.Statement].flat())
    .flatMap((s: Json) => chosen(template, s))
    .map((s: Json) => {
      if (s.NotAction || s.NotResource || s.NotPrincipal) throw new Error(`unsupported statement ${s.Sid}`);
      return {
        Sid: s.Sid,
        Effect: s.Effect,
        Action: [s.Action].flat(),
        Resource: [s.Resource].flat().map((r: Json) => resolve(template, r)),
        Condition: s.Condition,
      };
    });
}

/** A statement wrapped in Fn::If, as the condition chooses it: none for AWS::NoValue. */
function chosen(template: Template, statement: Json): Json[] {
  if (statement && typeof statement === 'object' && 'Fn::If' in statement) {
    const [condition, whenTrue, whenFalse] = statement['Fn::If'];
    return chosen(template, isTrue(template, condition) ? whenTrue : whenFalse);
  }
  if (statement?.Ref === 'AWS::NoValue') return [];
  return [statement];
}

/** The role of a function (`Role: { Fn::GetAtt: [RoleId, Arn] }`). */
export function roleOf(fn: Json): string {
  const role = fn.Properties.Role?.['Fn::GetAtt'];
  if (!Array.isArray(role)) throw new Error('function role is not a role of this template');
  return role[0];
}

function matches(statement: Statement, action: string, resource: string): boolean {
  return (
    statement.Action.some((a) => wildcard(a, 'i').test(action)) &&
    statement.Resource.some((r) => wildcard(r).test(resource))
  );
}

/**
 * Whether any request for `action` on `resource` could be allowed: an Allow matches (whatever its
 * condition) and no unconditional Deny does. Use it to prove that something is impossible.
 */
export function mayAllow(statements: Statement[], action: string, resource: string): boolean {
  const allowed = statements.some((s) => s.Effect === 'Allow' && matches(s, action, resource));
  const denied = statements.some((s) => s.Effect === 'Deny' && !s.Condition && matches(s, action, resource));
  return allowed && !denied;
}

/**
 * Whether every request for `action` on `resource` is allowed: an unconditional Allow matches and no Deny
 * does (whatever its condition). Use it to prove that something works.
 */
export function surelyAllows(statements: Statement[], action: string, resource: string): boolean {
  const allowed = statements.some(
    (s) => s.Effect === 'Allow' && !s.Condition && matches(s, action, resource),
  );
  const denied = statements.some((s) => s.Effect === 'Deny' && matches(s, action, resource));
  return allowed && !denied;
}

/**
 * Whether s3:ListBucket on `bucketArn` is allowed for a request with this `s3:prefix` (undefined: no
 * prefix given). Understands only an absent condition or `StringLike: { s3:prefix: [...] }`.
 */
export function listAllowed(statements: Statement[], bucketArn: string, prefix: string | undefined): boolean {
  const applies = (s: Statement) => {
    if (!matches(s, 's3:ListBucket', bucketArn)) return false;
    if (!s.Condition) return true;
    const operators = Object.keys(s.Condition);
    const keys = Object.keys(s.Condition.StringLike ?? {});
    if (operators.join() !== 'StringLike' || keys.join() !== 's3:prefix') {
      throw new Error(`unsupported ListBucket condition ${JSON.stringify(s.Condition)}`);
    }
    if (prefix === undefined) return false;
    return [s.Condition.StringLike['s3:prefix']].flat().some((p: string) => wildcard(p).test(prefix));
  };
  const allowed = statements.some((s) => s.Effect === 'Allow' && applies(s));
  const denied = statements.some((s) => s.Effect === 'Deny' && applies(s));
  return allowed && !denied;
}
