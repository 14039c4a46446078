// The registry of known CLIP models, the hub URL rule, and which proxy a URL goes through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MODEL_VARIANTS, fileUrl, filesFor, findModel, hubEndpoint, isModelVariant, listModels, type RegistryFile,
} from '../../server/src/clip/models/registry';
import { bypassesProxy, proxyFor } from '../../server/src/clip/models/proxy';

test('the three OpenAI CLIP models with their widths, input size and logit scale', () => {
  const table = listModels().map((m) => [m.id, m.repo, m.dim, m.imageSize, m.logitScale, m.contextLength]);
  assert.deepEqual(table, [
    ['clip-vit-base-patch32', 'Xenova/clip-vit-base-patch32', 512, 224, 100, 77],
    ['clip-vit-base-patch16', 'Xenova/clip-vit-base-patch16', 512, 224, 100, 77],
    ['clip-vit-large-patch14', 'Xenova/clip-vit-large-patch14', 768, 224, 100, 77],
  ]);
});

test('each variant names its two towers in the transformers.js layout plus the shared files', () => {
  const entry = findModel('clip-vit-base-patch16')!;
  const shared = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'vocab.json', 'merges.txt'];
  const cases: [string, string, string][] = [
    ['fp32', 'onnx/vision_model.onnx', 'onnx/text_model.onnx'],
    ['quantized', 'onnx/vision_model_quantized.onnx', 'onnx/text_model_quantized.onnx'],
    ['fp16', 'onnx/vision_model_fp16.onnx', 'onnx/text_model_fp16.onnx'],
  ];
  assert.deepEqual([...MODEL_VARIANTS], cases.map((c) => c[0]));
  for (const [variant, vision, text] of cases) {
    assert.ok(isModelVariant(variant));
    assert.deepEqual(filesFor(entry, variant as never).map((f) => f.path), [...shared, vision, text]);
  }
  assert.equal(isModelVariant('int8'), false);
});

test('findModel takes the id, the hub repo or the OpenAI name, in any case', () => {
  for (const name of ['clip-vit-large-patch14', 'CLIP-ViT-Large-Patch14', 'Xenova/clip-vit-large-patch14', 'openai/clip-vit-large-patch14', ' clip-vit-large-patch14 ']) {
    assert.equal(findModel(name)?.id, 'clip-vit-large-patch14', name);
  }
  assert.equal(findModel('clip-vit-huge'), undefined);
  assert.equal(findModel('someone/clip-vit-base-patch32'), undefined);
});

test('URLs follow <endpoint>/<repo>/resolve/main/<file>, with HF_ENDPOINT for mirrors and tests', () => {
  const entry = findModel('clip-vit-base-patch32')!;
  const file = filesFor(entry, 'quantized').at(-1)!;
  assert.equal(hubEndpoint({}), 'https://huggingface.co');
  assert.equal(fileUrl(entry, file, {}), 'https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/main/onnx/text_model_quantized.onnx');
  assert.equal(fileUrl(entry, 'config.json', { HF_ENDPOINT: 'http://127.0.0.1:8080/' }), 'http://127.0.0.1:8080/Xenova/clip-vit-base-patch32/resolve/main/config.json');
  assert.equal(hubEndpoint({ HF_ENDPOINT: '  ' }), 'https://huggingface.co');
});

/** What is wrong with a registry file's path, pinned size or pinned sha256 (none pinned means the hub's are checked). */
function fileProblems(f: RegistryFile): string[] {
  const problems: string[] = [];
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(f.path) || f.path.split('/').includes('..')) problems.push(`path ${f.path}`);
  if (f.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(f.sha256)) problems.push(`sha256 ${f.sha256}`);
  if (f.size !== undefined && !(Number.isInteger(f.size) && f.size > 0)) problems.push(`size ${f.size}`);
  return problems;
}

test('every registry file has a relative hub path, and a pinned size or sha256 is well-formed', () => {
  // The checker itself must catch bad values, since today no entry pins a size or hash.
  assert.deepEqual(fileProblems({ path: '../x', size: 0, sha256: 'ABC' }), ['path ../x', 'sha256 ABC', 'size 0']);
  assert.deepEqual(fileProblems({ path: 'onnx/a.onnx', size: 12, sha256: 'a'.repeat(64) }), []);
  let checked = 0;
  for (const m of listModels()) {
    for (const v of MODEL_VARIANTS) {
      const files = filesFor(m, v);
      assert.equal(new Set(files.map((f) => f.path)).size, files.length, `${m.id} ${v}: paths are distinct`);
      for (const f of files) {
        assert.deepEqual(fileProblems(f), [], `${m.id} ${v} ${f.path}`);
        checked++;
      }
    }
  }
  // 3 models × 3 variants × (5 shared files + 2 towers): the loop above ran over every file.
  assert.equal(checked, 3 * 3 * 7);
});

test('proxyFor picks the scheme variable, lower case first, then ALL_PROXY', () => {
  const https = new URL('https://huggingface.co/x');
  const http = new URL('http://127.0.0.1:9/x');
  assert.equal(proxyFor(https, {}), undefined);
  assert.equal(proxyFor(https, { HTTPS_PROXY: 'http://p:3128' })?.href, 'http://p:3128/');
  assert.equal(proxyFor(https, { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2' })?.host, 'lower:2');
  assert.equal(proxyFor(https, { HTTP_PROXY: 'http://p:3128' }), undefined, 'HTTP_PROXY is for http URLs');
  assert.equal(proxyFor(http, { HTTP_PROXY: 'proxy.corp:8080' })?.href, 'http://proxy.corp:8080/', 'a bare host:port means http');
  assert.equal(proxyFor(http, { ALL_PROXY: 'http://all:1' })?.host, 'all:1');
  assert.equal(proxyFor(https, { HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }), undefined);
});

test('NO_PROXY matching', () => {
  const cases: [string, string, boolean][] = [
    ['https://huggingface.co/', 'huggingface.co', true],
    ['https://cdn-lfs.huggingface.co/', 'huggingface.co', true],
    ['https://cdn-lfs.huggingface.co/', '.huggingface.co', true],
    ['https://huggingface.co/', '.huggingface.co', false],
    ['https://huggingface.co/', '*.huggingface.co', false],
    ['https://nothuggingface.co/', 'huggingface.co', false],
    ['https://HuggingFace.co/', 'huggingface.CO', true],
    ['http://127.0.0.1:8080/', '127.0.0.1', true],
    ['http://127.0.0.1:8080/', '127.0.0.1:8080', true],
    ['http://127.0.0.1:8080/', '127.0.0.1:9090', false],
    ['https://example.org/', 'example.org:443', true],
    ['http://10.1.2.3/', '10.0.0.0/8', true],
    ['http://11.1.2.3/', '10.0.0.0/8', false],
    ['http://[::1]:80/', '::1', true],
    ['http://[::1]:80/', '[::1]:80', true],
    ['http://[fd00::5]/', 'fd00::/8', true],
    ['https://a.b.example/', 'foo, b.example', true],
    ['https://a.b.example/', 'foo bar', false],
    ['https://a.b.example/', '', false],
  ];
  for (const [url, noProxy, expected] of cases) {
    assert.equal(bypassesProxy(new URL(url), noProxy), expected, `${url} with NO_PROXY=${noProxy}`);
  }
});
