/**
 * A stand-in for the SSM agent running one `aws:runShellScript` step of a
 * command document, doing what Run Command and the agent do with it:
 * parameters not declared are refused, each value (or its default) must
 * match its `allowedPattern` (Systems Manager refuses the command otherwise,
 * and nothing runs), `{{ Name }}` is replaced by the value as text, the
 * lines are written to a script file run by `sh` as the agent's user, the
 * exit code decides Success or Failed, and each stream's output is cut to
 * what the API keeps (24,000 characters).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCommand } from '../helpers/spawn.js';
import type { CommandDocument } from '../../src/fleet/documents.js';
import { OUTPUT_LIMIT_CHARS } from '../../src/fleet/template.js';

export interface Invocation {
  status: 'Success' | 'Failed' | 'Refused';
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

export async function runDocument(doc: CommandDocument, given: Record<string, string>, env: NodeJS.ProcessEnv): Promise<Invocation> {
  const values: Record<string, string> = {};
  for (const name of Object.keys(given)) {
    if (!doc.parameters[name]) return refused(`parameter ${name} is not declared by the document`);
  }
  for (const [name, p] of Object.entries(doc.parameters)) {
    const value = given[name] ?? p.default;
    if (!new RegExp(p.allowedPattern).test(value)) return refused(`parameter ${name} does not match its allowedPattern`);
    values[name] = value;
  }
  const step = doc.mainSteps[0]!;
  const script = step.inputs.runCommand
    .map((line) =>
      line.replace(PLACEHOLDER, (_m, name: string) => {
        const v = values[name];
        if (v === undefined) throw new Error(`document uses undeclared parameter ${name}`);
        return v;
      }),
    )
    .join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'ssm-agent-'));
  try {
    const file = join(dir, '_script.sh');
    writeFileSync(file, script, { mode: 0o700 });
    const r = await runCommand('sh', [file], { env, cwd: dir });
    return {
      status: r.code === 0 ? 'Success' : 'Failed',
      exitCode: r.code,
      stdout: r.stdout.slice(0, OUTPUT_LIMIT_CHARS),
      stderr: r.stderr.slice(0, OUTPUT_LIMIT_CHARS),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function refused(reason: string): Invocation {
  return { status: 'Refused', exitCode: null, stdout: '', stderr: reason };
}

/** The command documents of a template the `fleet` command printed. */
export function documentsOf(templateYaml: string): { write: CommandDocument; check: CommandDocument; template: Record<string, any> } {
  const template = parse(templateYaml) as Record<string, any>;
  return { write: template.Resources.WriteDocument.Properties.Content, check: template.Resources.CheckDocument.Properties.Content, template };
}

/** The runbook's `aws:runCommand` step: what it sends, and at what rate. */
export interface RunCommandStep {
  parameters: Record<string, string>;
  maxConcurrency: number;
  maxErrors: number;
}

/** The RefreshHosts step of a template's runbook, with its runbook parameters at their defaults (empty when none). */
export function refreshStepOf(template: Record<string, any>): RunCommandStep {
  const runbook = template.Resources.RefreshRunbook.Properties.Content;
  const step = runbook.mainSteps.find((s: { action: string }) => s.action === 'aws:runCommand').inputs;
  const defaults = (name: string) => String(runbook.parameters[name]?.default ?? '');
  const parameters = Object.fromEntries(
    Object.entries(step.Parameters as Record<string, string[]>).map(([name, [value]]) => [
      name,
      String(value).replace(PLACEHOLDER, (_m, p: string) => defaults(p)),
    ]),
  );
  // Absolute counts only here: a percentage would need the target count, which the template does not fix.
  return { parameters, maxConcurrency: Number(step.MaxConcurrency), maxErrors: Number(step.MaxErrors) };
}

/**
 * Run Command's rate control for one SendCommand to many hosts: at most
 * `maxConcurrency` invocations in flight, the next host starting as one
 * finishes, and no new host once more than `maxErrors` have failed. Each
 * target is one host's document and environment.
 */
export async function sendCommand(
  targets: Array<{ doc: CommandDocument; env: NodeJS.ProcessEnv }>,
  step: RunCommandStep,
): Promise<{ invocations: Array<Invocation | undefined>; mostInFlight: number }> {
  const invocations: Array<Invocation | undefined> = new Array(targets.length).fill(undefined);
  let next = 0;
  let errors = 0;
  let inFlight = 0;
  let mostInFlight = 0;
  const lane = async () => {
    while (next < targets.length && errors <= step.maxErrors) {
      const i = next++;
      const t = targets[i]!;
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      const r = await runDocument(t.doc, step.parameters, t.env);
      inFlight--;
      if (r.status !== 'Success') errors++;
      invocations[i] = r;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, step.maxConcurrency) }, lane));
  return { invocations, mostInFlight };
}
