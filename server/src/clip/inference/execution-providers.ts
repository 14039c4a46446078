// Which ONNX Runtime execution provider runs CLIP: `auto` tries the GPU providers this platform and build can have,
// then CPU; a provider that cannot start falls back to CPU and is reported once, never per session.
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { UserError } from '../../errors';
import { onnxRuntime } from './onnx-runtime';

/** onnxruntime-node's names, in `auto`'s order of preference. */
export const EXECUTION_PROVIDERS = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];
export type ExecutionProviderRequest = 'auto' | ExecutionProvider;

const ALIASES: Record<string, ExecutionProviderRequest> = { directml: 'dml', gpu: 'auto' };

/** Parses a user's `--provider` / setting value (case-insensitive; `directml` is accepted for dml). */
export function parseExecutionProviderRequest(text: string): ExecutionProviderRequest {
  const key = text.trim().toLowerCase();
  if (key === 'auto' || (EXECUTION_PROVIDERS as readonly string[]).includes(key)) return key as ExecutionProviderRequest;
  if (key in ALIASES) return ALIASES[key];
  throw new UserError(`unknown execution provider '${text}' (choose auto, ${EXECUTION_PROVIDERS.join(', ')})`);
}

/** What decides which providers can work here, gathered once; plain data so tests can state other platforms. */
export interface ProviderPlatform {
  platform: NodeJS.Platform;
  /** Providers compiled into this onnxruntime-node binding (its listSupportedBackends). */
  backends: readonly string[];
  /** Whether onnxruntime-node's CUDA provider library was installed next to the binding (a separate download). */
  cudaLibrary: boolean;
  /** Whether a Vulkan loader is present; Linux WebGPU (Dawn) needs one to find a GPU. */
  vulkanLoader: boolean;
}

let cachedPlatform: ProviderPlatform | undefined;

export function currentProviderPlatform(): ProviderPlatform {
  if (cachedPlatform) return cachedPlatform;
  // Loaded lazily so that parsing a request never loads the native binding.
  const ort = onnxRuntime();
  const binDir = bindingDir();
  cachedPlatform = {
    platform: process.platform,
    backends: ort.listSupportedBackends().map((b) => b.name),
    cudaLibrary: binDir !== undefined && ['libonnxruntime_providers_cuda.so', 'onnxruntime_providers_cuda.dll']
      .some((f) => existsSync(join(binDir, f))),
    vulkanLoader: process.platform !== 'linux' || hasVulkanLoader(),
  };
  return cachedPlatform;
}

function bindingDir(): string | undefined {
  try {
    const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
    return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

function hasVulkanLoader(): boolean {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean),
    `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
    '/usr/lib64', '/usr/lib', '/lib64', '/lib', '/usr/local/lib',
  ];
  return dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')));
}

/** The providers `auto` tries, in order, always ending with cpu. */
export function autoProviders(p: ProviderPlatform = currentProviderPlatform()): ExecutionProvider[] {
  const out: ExecutionProvider[] = [];
  const built = (name: string) => p.backends.includes(name);
  if ((p.platform === 'linux' || p.platform === 'win32') && built('cuda') && p.cudaLibrary) out.push('cuda');
  if (p.platform === 'win32' && built('dml')) out.push('dml');
  if (p.platform === 'darwin' && built('coreml')) out.push('coreml');
  if (built('webgpu') && p.vulkanLoader) out.push('webgpu');
  out.push('cpu');
  return out;
}

/** A requested provider that could not start; the work ran on CPU instead. */
export interface ProviderFallback {
  requested: ExecutionProvider;
  reason: string;
  /** One line for the user. */
  message: string;
}

export type FallbackReporter = (fallback: ProviderFallback) => void;

export function fallbackNotice(requested: ExecutionProvider, reason: string): ProviderFallback {
  return { requested, reason, message: `execution provider '${requested}' is unavailable, using CPU instead: ${reason}` };
}

/** The useful part of onnxruntime's error for a provider that failed to start. */
export function describeProviderError(provider: ExecutionProvider, err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const line = raw.split('\n').map((s) => s.trim()).find(Boolean) ?? raw;
  if (/backend not found|is unsupported/i.test(line)) return `this onnxruntime-node build has no ${provider} support`;
  if (provider === 'cuda' && /shared library/i.test(line)) {
    return "the CUDA provider library could not be loaded (it needs onnxruntime-node's CUDA binaries, CUDA 12 and cuDNN 9)";
  }
  const adapter = /Failed to get a WebGPU adapter[^\n]*/i.exec(raw);
  if (adapter) return `no GPU adapter for WebGPU: ${adapter[0].replace(/^Failed to get a WebGPU adapter:?\s*/i, '')}`;
  // onnxruntime prefixes "path/file.cc:123 function(...) condition was false." — keep what follows.
  const tail = line.includes(' was false. ') ? line.slice(line.lastIndexOf(' was false. ') + 12) : line;
  const text = tail.replace(/^\S+\.(cc|cpp|h):\d+\s+/, '');
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

export interface ProviderChoice<T> {
  value: T;
  provider: ExecutionProvider;
  /** Set when the requested provider is not the one in use. */
  fallback?: ProviderFallback;
}

/**
 * Opens sessions on the best provider for a request and remembers providers that failed, so later sessions go
 * straight to CPU and the user hears about each failed provider once. One per process is the usual scope.
 */
export class ExecutionProviderSelector {
  private readonly failures = new Map<ExecutionProvider, string>();
  private readonly reported = new Set<ExecutionProvider>();

  constructor(
    private readonly report: FallbackReporter = (f) => process.stderr.write(`warning: ${f.message}\n`),
    private readonly platform?: ProviderPlatform,
  ) {}

  /** Providers to try for a request, in order; those known to fail are skipped; always ends with cpu. */
  candidates(request: ExecutionProviderRequest): ExecutionProvider[] {
    const wanted: ExecutionProvider[] =
      request === 'auto' ? autoProviders(this.platform ?? currentProviderPlatform()) : [request, 'cpu'];
    return [...new Set<ExecutionProvider>(wanted)].filter((p) => p === 'cpu' || !this.failures.has(p));
  }

  /** Why a provider failed earlier in this selector, if it did. */
  failureOf(provider: ExecutionProvider): string | undefined {
    return this.failures.get(provider);
  }

  /**
   * Runs `attempt` with each candidate until one works. A CPU failure is the model's fault and propagates; provider
   * failures are remembered only once CPU has succeeded, so a broken model never blames a good GPU.
   */
  async open<T>(request: ExecutionProviderRequest, attempt: (provider: ExecutionProvider) => Promise<T>): Promise<ProviderChoice<T>> {
    const failed: [ExecutionProvider, string][] = [];
    for (const provider of this.candidates(request)) {
      if (provider === 'cpu') break;
      try {
        return { value: await attempt(provider), provider };
      } catch (err) {
        failed.push([provider, describeProviderError(provider, err)]);
      }
    }
    const value = await attempt('cpu');
    for (const [provider, reason] of failed) this.failures.set(provider, reason);
    if (request === 'auto' || request === 'cpu') return { value, provider: 'cpu' };
    const fallback = fallbackNotice(request, this.failures.get(request) ?? 'unavailable');
    this.noteFallback(fallback);
    return { value, provider: 'cpu', fallback };
  }

  /** Reports a fallback unless this provider's was reported already (also for fallbacks relayed from workers). */
  noteFallback(fallback: ProviderFallback): void {
    if (!this.failures.has(fallback.requested)) this.failures.set(fallback.requested, fallback.reason);
    if (this.reported.has(fallback.requested)) return;
    this.reported.add(fallback.requested);
    this.report(fallback);
  }
}

let processSelector: ExecutionProviderSelector | undefined;

/** The selector sessions use unless given one: per process (per thread), so each failure is reported once. */
export function defaultProviderSelector(): ExecutionProviderSelector {
  processSelector ??= new ExecutionProviderSelector();
  return processSelector;
}

/** onnxruntime-node's session option entry for a provider. */
export function providerConfig(provider: ExecutionProvider): string | { name: string; deviceId?: number } {
  return provider === 'cuda' || provider === 'dml' ? { name: provider, deviceId: 0 } : provider;
}
