/**
 * Lambda execution environments for one function: worker threads, each with the function's own
 * environment (nothing inherited from this process), its memory size as the V8 heap limit, and
 * one invocation at a time. Idle environments are reused (warm starts); new ones start on demand
 * up to a concurrency cap, beyond which invocations wait, as with reserved concurrency. A timeout
 * or a crash discards the environment, so the next invocation starts cold, as in Lambda.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import { LambdaTimeoutError } from '../lambda.js';

const WORKER_FILE = new URL('./lambda-worker.mjs', import.meta.url);

export interface ContainerSpec {
  name: string;
  /** The task root (/var/task): the function's code asset, laid out with its layers. */
  taskDir: string;
  /** `index.handler`: module file name without extension, then the export. */
  handler: string;
  env: Record<string, string>;
  memoryMb: number;
  timeoutSeconds: number;
  /** Where the function's stdout and stderr lines go (CloudWatch Logs, in AWS); this process's own by default. */
  output?: (line: string) => void;
}

/** An error the function threw (or the runtime raised), as Lambda reports it. */
export class InvokeError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly functionStack?: string,
  ) {
    super(message);
    this.name = errorType;
    if (functionStack) this.stack = functionStack;
  }
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

class Environment {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  private pending: Pending | undefined;
  private nextId = 0;
  dead = false;

  constructor(spec: ContainerSpec, modulePath: string, exportName: string) {
    this.worker = new Worker(WORKER_FILE, {
      workerData: { modulePath, exportName, sourceMaps: /--enable-source-maps/.test(spec.env.NODE_OPTIONS ?? '') },
      env: spec.env,
      // Not this process's flags (e.g. tsx's loader under npm start): the bundle runs on plain Node.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: spec.memoryMb },
      stdout: spec.output !== undefined,
      stderr: spec.output !== undefined,
    });
    if (spec.output) {
      for (const stream of [this.worker.stdout, this.worker.stderr]) {
        createInterface({ input: stream, crlfDelay: Infinity }).on('line', spec.output);
      }
    }
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.on(
        'message',
        (m: { type: string; payload?: string; error?: { errorType: string; errorMessage: string; stack?: string } }) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'init-error') {
            const error = new InvokeError(
              m.error!.errorType === 'Runtime.HandlerNotFound' ? 'Runtime.HandlerNotFound' : 'Runtime.ImportModuleError',
              m.error!.errorMessage,
              m.error!.stack,
            );
            reject(error);
            this.kill();
          } else if (m.type === 'result') this.settle((p) => p.resolve(JSON.parse(m.payload ?? 'null')));
          else if (m.type === 'error')
            this.settle((p) => p.reject(new InvokeError(m.error!.errorType, m.error!.errorMessage, m.error!.stack)));
        },
      );
      const die = (error: Error) => {
        this.dead = true;
        reject(error);
        this.settle((p) => p.reject(error));
      };
      this.worker.on('error', (error) => die(new InvokeError('Runtime.ExitError', `${spec.name}: ${error.message}`, error.stack)));
      this.worker.on('exit', (code) => die(new InvokeError('Runtime.ExitError', `${spec.name}: runtime exited with code ${code}`)));
    });
    this.ready.catch(() => {});
  }

  private settle(action: (p: Pending) => void): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) action(pending);
  }

  invoke(event: unknown, context: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ id: this.nextId++, event, context });
    });
  }

  kill(): void {
    this.dead = true;
    void this.worker.terminate();
  }
}

export class FunctionContainers {
  private readonly idle: Environment[] = [];
  private readonly all = new Set<Environment>();
  private readonly waiting: (() => void)[] = [];
  private readonly modulePath: string;
  private readonly exportName: string;
  /** Environments started so far (cold starts). */
  coldStarts = 0;

  constructor(
    readonly spec: ContainerSpec,
    private readonly maxConcurrency = 10,
  ) {
    const [file = 'index', exportName = 'handler'] = spec.handler.split('.');
    // The Node.js runtime tries these extensions in this order.
    const candidates = ['.mjs', '.js', '.cjs'].map((ext) => join(spec.taskDir, `${file}${ext}`));
    this.modulePath = candidates.find((c) => existsSync(c)) ?? candidates[0]!;
    this.exportName = exportName;
  }

  private async acquire(): Promise<Environment> {
    for (;;) {
      const warm = this.idle.pop();
      if (warm && !warm.dead) return warm;
      if (this.all.size < this.maxConcurrency) {
        const env = new Environment(this.spec, this.modulePath, this.exportName);
        this.coldStarts++;
        this.all.add(env);
        env.worker.once('exit', () => this.all.delete(env));
        return env;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(env: Environment): void {
    if (env.dead) this.all.delete(env);
    else this.idle.push(env);
    this.waiting.shift()?.();
  }

  /** Runs one invocation; the context's timing comes from `context.getRemainingTimeInMillis`. */
  async invoke(event: unknown, context: Context): Promise<unknown> {
    const env = await this.acquire();
    const deadline = Date.now() + context.getRemainingTimeInMillis();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => {
            // Lambda stops the environment at the timeout; so does this (the next call starts cold).
            env.kill();
            reject(new LambdaTimeoutError(this.spec.timeoutSeconds));
          },
          Math.max(0, deadline - Date.now()),
        );
      });
      await Promise.race([env.ready, timeout]);
      const { getRemainingTimeInMillis: _r, done: _d, fail: _f, succeed: _s, ...plain } = context;
      return await Promise.race([env.invoke(event, { ...plain, deadline }), timeout]);
    } finally {
      clearTimeout(timer);
      this.release(env);
    }
  }

  async close(): Promise<void> {
    const envs = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(envs.map((e) => e.worker.terminate().catch(() => 0)));
  }
}
