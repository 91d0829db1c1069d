/** The format table: format name -> encoder plus the consumer's parser that verifies it. */
import { dockerFormat } from './docker.js';
import { dotenvFormat } from './dotenv.js';
import { fileFormat } from './file.js';
import { jsonFormat } from './json.js';
import { phpFormat } from './php.js';
import { shellFormat } from './shell.js';
import { systemdFormat } from './systemd.js';
import { templateFormat } from './template.js';
import type { Format, FormatKind } from './types.js';
import { yamlFormat } from './yaml.js';

export const formatNames = ['dotenv', 'shell', 'systemd', 'docker', 'json', 'yaml', 'php', 'template', 'file'] as const;
export type FormatName = (typeof formatNames)[number];

export const formats: Record<FormatName, Format> = {
  dotenv: dotenvFormat,
  shell: shellFormat,
  systemd: systemdFormat,
  docker: dockerFormat,
  json: jsonFormat,
  yaml: yamlFormat,
  php: phpFormat,
  template: templateFormat,
  file: fileFormat,
};

export function isFormatName(name: string): name is FormatName {
  return (formatNames as readonly string[]).includes(name);
}

/** The format for a name the manifest validated; an unknown name here is a bug. */
export function getFormat(name: FormatName | string): Format {
  if (!isFormatName(name)) throw new Error(`internal: unknown format ${JSON.stringify(name)}`);
  return formats[name];
}

/** The formats of one kind, in table order (for messages such as "only used with `format: template`"). */
export function formatNamesOfKind(kind: FormatKind): FormatName[] {
  return formatNames.filter((name) => formats[name].kind === kind);
}

export { templateKeys } from './template.js';
export { fileDecodings, renderFileBytes, type FileDecoding } from './file.js';
export type { Entries, Format, FormatKind, RenderContext } from './types.js';
