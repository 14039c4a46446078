import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../server/src/errors';
import {
  autoProviders, currentProviderPlatform, describeProviderError, ExecutionProviderSelector,
  parseExecutionProviderRequest, type ProviderFallback, type ProviderPlatform,
} from '../../server/src/clip/inference/execution-providers';
import { createTextSession, createVisionSession, embedImages, embedTexts, releaseSession } from '../../server/src/clip/inference/onnx-session';
import { InferenceThread } from '../../server/src/clip/inference/inference-thread';
import { assertClose, loadReferences, referenceArray, towerPath } from '../helpers/model-fixtures';

const refs = loadReferences();

test('auto tries the GPU providers each platform and build can have, then CPU', () => {
  const cases: [Partial<ProviderPlatform>, string[]][] = [
    [{ platform: 'linux', backends: ['cpu', 'webgpu', 'cuda'], cudaLibrary: true, vulkanLoader: true }, ['cuda', 'webgpu', 'cpu']],
    [{ platform: 'linux', backends: ['cpu', 'webgpu', 'cuda'], cudaLibrary: false, vulkanLoader: true }, ['webgpu', 'cpu']],
    [{ platform: 'linux', backends: ['cpu', 'webgpu', 'cuda'], cudaLibrary: false, vulkanLoader: false }, ['cpu']],
    [{ platform: 'win32', backends: ['cpu', 'webgpu', 'dml'], cudaLibrary: false, vulkanLoader: true }, ['dml', 'webgpu', 'cpu']],
    [{ platform: 'win32', backends: ['cpu', 'cuda', 'dml', 'webgpu'], cudaLibrary: true, vulkanLoader: true }, ['cuda', 'dml', 'webgpu', 'cpu']],
    [{ platform: 'darwin', backends: ['cpu', 'webgpu', 'coreml'], cudaLibrary: false, vulkanLoader: true }, ['coreml', 'webgpu', 'cpu']],
    [{ platform: 'linux', backends: ['cpu'], cudaLibrary: true, vulkanLoader: true }, ['cpu']],
  ];
  for (const [platform, expected] of cases) {
    assert.deepEqual(autoProviders(platform as ProviderPlatform), expected, JSON.stringify(platform));
  }
});

test('this machine: onnxruntime-node has webgpu built in, and auto runs on CPU without a GPU', async () => {
  const here = currentProviderPlatform();
  assert.ok(here.backends.includes('cpu') && here.backends.includes('webgpu'), here.backends.join());
  const reports: ProviderFallback[] = [];
  const selector = new ExecutionProviderSelector((f) => reports.push(f));
  const session = await createVisionSession(towerPath('tiny-clip', 'vision'), { provider: 'auto', selector });
  assert.equal(session.provider, 'cpu');
  assert.equal(session.fallback, undefined);
  assert.deepEqual(reports, [], 'auto finding no GPU is not a fallback to report');
  await releaseSession(session);
});

test('provider names parse case-insensitively, and unknown ones are refused with the choices', () => {
  assert.equal(parseExecutionProviderRequest('CUDA'), 'cuda');
  assert.equal(parseExecutionProviderRequest('directml'), 'dml');
  assert.equal(parseExecutionProviderRequest(' webgpu '), 'webgpu');
  assert.equal(parseExecutionProviderRequest('auto'), 'auto');
  assert.throws(() => parseExecutionProviderRequest('tpu'), (err: Error) => err instanceof UserError && /auto, cuda, dml, coreml, webgpu, cpu/.test(err.message));
});

test('onnxruntime errors are shortened to their reason', () => {
  const webgpu = new Error('/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n');
  assert.equal(describeProviderError('webgpu', webgpu), 'no GPU adapter for WebGPU: No supported adapters');
  assert.match(describeProviderError('cuda', new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library')), /CUDA provider library could not be loaded/);
  assert.equal(describeProviderError('dml', new Error('no available backend found. ERR: [dml] backend not found.')), 'this onnxruntime-node build has no dml support');
  assert.equal(describeProviderError('cuda', new Error('/src/x.cc:12 f() cond was false. device lost')), 'device lost');
});

async function checkEmbeddings(vision: Awaited<ReturnType<typeof createVisionSession>>, text: Awaited<ReturnType<typeof createTextSession>>) {
  const pixels = await referenceArray(refs.vision[0].pixelValues);
  const [n, , h, w] = pixels.shape;
  assertClose(await embedImages(vision, pixels.data as Float32Array, n, h, w),
    (await referenceArray(refs.vision[0].imageEmbeds)).data as Float32Array, refs.tolerance, 'image embeds after fallback');
  const ids = await referenceArray(refs.text[0].inputIds);
  const mask = await referenceArray(refs.text[0].attentionMask);
  assertClose(await embedTexts(text, ids.data as BigInt64Array, mask.data as BigInt64Array, ids.shape[0], ids.shape[1]),
    (await referenceArray(refs.text[0].textEmbeds)).data as Float32Array, refs.tolerance, 'text embeds after fallback');
}

for (const [provider, reason] of [['cuda', /CUDA/], ['webgpu', /WebGPU/]] as const) {
  test(`asking for ${provider} on this CPU-only machine falls back to CPU and says so exactly once`, async () => {
    const reports: ProviderFallback[] = [];
    const selector = new ExecutionProviderSelector((f) => reports.push(f));
    const vision = await createVisionSession(towerPath('tiny-clip', 'vision'), { provider, selector });
    const text = await createTextSession(towerPath('tiny-clip', 'text'), { provider, selector });
    const again = await createVisionSession(towerPath('tiny-clip', 'vision', '_quantized'), { provider, selector });
    for (const s of [vision, text, again]) {
      assert.equal(s.provider, 'cpu');
      assert.equal(s.fallback?.requested, provider);
    }
    assert.equal(reports.length, 1, reports.map((r) => r.message).join(' | '));
    assert.equal(reports[0].requested, provider);
    assert.match(reports[0].reason, reason);
    assert.match(reports[0].message, new RegExp(`^execution provider '${provider}' is unavailable, using CPU instead: .*${reason.source}`));
    assert.ok(!reports[0].message.includes('\n'), 'one line');
    assert.equal(selector.failureOf(provider), reports[0].reason);
    await checkEmbeddings(vision, text);
    for (const s of [vision, text, again]) await releaseSession(s);
  });
}

test('fallbacks inside the inference worker are reported once, by the main thread', async () => {
  const reports: ProviderFallback[] = [];
  const thread = InferenceThread.start({ selector: new ExecutionProviderSelector((f) => reports.push(f)) });
  try {
    const vision = await thread.openVision(towerPath('tiny-clip', 'vision'), { provider: 'webgpu' });
    const text = await thread.openText(towerPath('tiny-clip', 'text'), { provider: 'webgpu' });
    assert.deepEqual([vision.provider, text.provider], ['cpu', 'cpu']);
    assert.equal(reports.length, 1);
    assert.match(reports[0].message, /'webgpu' is unavailable, using CPU instead: no GPU adapter/);
    const pixels = await referenceArray(refs.vision[0].pixelValues);
    const [n, , h, w] = pixels.shape;
    assertClose(await thread.embedImages(pixels.data as Float32Array, n, h, w),
      (await referenceArray(refs.vision[0].imageEmbeds)).data as Float32Array, refs.tolerance, 'worker embeds after fallback');
  } finally {
    await thread.close();
  }
});

test('a broken model is blamed on the model, not on the provider', async () => {
  const reports: ProviderFallback[] = [];
  const selector = new ExecutionProviderSelector((f) => reports.push(f));
  await assert.rejects(createTextSession(towerPath('tiny-clip', 'text').replace('text_model.onnx', '../config.json'), { provider: 'cuda', selector }),
    (err: Error) => err instanceof UserError && /cannot load the text model/.test(err.message));
  assert.deepEqual(reports, []);
  assert.equal(selector.failureOf('cuda'), undefined);
});
