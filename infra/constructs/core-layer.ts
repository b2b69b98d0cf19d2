import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { buildSync, type BuildOptions } from 'esbuild';
import { ESM_REQUIRE_BANNER, fromRoot } from './paths.js';
import { ESBUILD_TARGET, LAMBDA_RUNTIME } from './runtime.js';

/** The package name functions import; they mark it external and resolve it from /opt at run time. */
export const CORE_PACKAGE = '@patron/core';

/** Where Lambda's Node.js runtime looks for layer packages. */
const PACKAGE_DIR = join('nodejs', 'node_modules', ...CORE_PACKAGE.split('/'));

/** How Patron bundles for Lambda with esbuild (the layer, and bench/layer.ts's variants). */
export const ESM_BUNDLE_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: ESBUILD_TARGET,
  minify: true,
  sourcemap: true,
  mainFields: ['module', 'main'],
  tsconfig: fromRoot('tsconfig.json'),
  banner: { js: ESM_REQUIRE_BANNER },
} satisfies BuildOptions;

export interface BundleCoreLayerOptions {
  /** Bundle the AWS SDK clients the core imports instead of leaving them to the runtime's copy. @default false */
  readonly bundleSdk?: boolean;
}

/**
 * Bundles layers/core/src/index.ts into `<outputDir>/nodejs/node_modules/@patron/core/index.mjs`
 * with a package.json so `import ... from '@patron/core'` resolves inside Lambda.
 *
 * The deployed layer bundles the AWS SDK clients (`bundleSdk: true`): the runtime's own copy is
 * a version AWS picks per Region and updates without notice, while the bundle carries the
 * versions package-lock.json pins and the tests ran against. bench/layer.ts measured both ways
 * (README, "Runtime and SDK"): 1.6x the zipped layer size, no slower cold import.
 */
export function bundleCoreLayer(outputDir: string, options: BundleCoreLayerOptions = {}): void {
  const packageDir = join(outputDir, PACKAGE_DIR);
  mkdirSync(packageDir, { recursive: true });
  const result = buildSync({
    ...ESM_BUNDLE_OPTIONS,
    entryPoints: [fromRoot('layers', 'core', 'src', 'index.ts')],
    outfile: join(packageDir, 'index.mjs'),
    external: options.bundleSdk ? [] : ['@aws-sdk/*'],
    logLevel: 'warning',
    absWorkingDir: fromRoot(),
  });
  if (result.errors.length > 0) {
    throw new Error(`esbuild failed to bundle ${CORE_PACKAGE}: ${result.errors.map((e) => e.text).join('; ')}`);
  }
  const rootPackage = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version?: string };
  const manifest = {
    name: CORE_PACKAGE,
    version: rootPackage.version ?? '0.0.0',
    private: true,
    type: 'module',
    main: './index.mjs',
    exports: { '.': './index.mjs' },
  };
  writeFileSync(join(packageDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

export interface CoreLayerProps {
  /** @default a description naming the package */
  readonly description?: string;
}

/** The `@patron/core` Lambda layer (LAMBDA_RUNTIME, arm64), bundled locally with esbuild at synth time. */
export class CoreLayer extends Construct {
  readonly layer: LayerVersion;

  constructor(scope: Construct, id: string, props: CoreLayerProps = {}) {
    super(scope, id);
    this.layer = new LayerVersion(this, 'Layer', {
      description: props.description ?? `${CORE_PACKAGE}: shared Patron library (ESM bundle with the AWS SDK clients it uses)`,
      compatibleRuntimes: [LAMBDA_RUNTIME],
      compatibleArchitectures: [Architecture.ARM_64],
      code: Code.fromAsset(fromRoot('layers', 'core'), {
        // Hash the bundle, not the folder: a dependency bump changes the layer even if src/ did not.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never used: local bundling always succeeds or throws. Required by the type only.
          image: DockerImage.fromRegistry(`public.ecr.aws/sam/build-${LAMBDA_RUNTIME.name}`),
          local: {
            tryBundle(outputDir: string): boolean {
              bundleCoreLayer(outputDir, { bundleSdk: true });
              return true;
            },
          },
        },
      }),
    });
  }
}
