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
