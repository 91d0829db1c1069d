/** `validate`: check the manifest offline, its flags and handler in one place. */
import { ExitCode } from '../errors.js';
import { defineCommand } from './definition.js';
import { manifestOption } from './options.js';

export const validate = defineCommand({
  name: 'validate',
  description: 'Check the manifest offline: syntax, names, formats, environment variables',
  options: manifestOption,
  async run(args, { io, log }) {
    const [{ loadManifest }, { checkTemplates }] = await Promise.all([import('../manifest.js'), import('../template-files.js')]);
    const manifest = loadManifest(args.manifest, io.env);
    checkTemplates(manifest);
    const values = manifest.outputs.reduce((n, o) => n + o.values.length, 0);
    const paths = manifest.outputs.reduce((n, o) => n + o.paths.length, 0);
    log.result(
      'manifest_valid',
      { manifest: manifest.file, outputs: manifest.outputs.length, values, paths },
      `${manifest.file}: valid (${manifest.outputs.length} output${manifest.outputs.length === 1 ? '' : 's'}, ${values} named values, ${paths} paths)`,
    );
    return ExitCode.ok;
  },
});
