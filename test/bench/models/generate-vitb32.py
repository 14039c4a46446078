#!/usr/bin/env python3
"""A random-weight CLIP ViT-B/32 vision tower of the real shape, for the benchmark (not a test fixture).

Usage: /usr/bin/python3 test/bench/models/generate-vitb32.py [OUTDIR]   (default: <repo>/bench-data/vit-b32)

Writes OUTDIR/onnx/vision_model.onnx (fp32) and OUTDIR/onnx/vision_model_quantized.onnx (int8 MatMulInteger, as
onnxruntime's quantize_dynamic makes it), plus preprocessor_config.json and config.json, so OUTDIR is a model
folder. Shape: 224 input, patch 32, width 768, 12 layers, 12 heads, MLP 3072, QuickGELU, projection to 512
(about 88M parameters, 8.8 GFLOP per image). The graph uses the op patterns a PyTorch export has (LayerNormalization,
MatMul+Add, Softmax, x*sigmoid(1.702x)) so ONNX Runtime's optimizer sees what it sees on the real model.
"""
import json
import os
import shutil
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
sys.path.insert(0, os.path.join(REPO, 'test', 'fixtures', 'models'))

import numpy as np  # noqa: E402
import onnx  # noqa: E402

from onnx_graph import FLOAT, INT64, GraphBuilder, quantize_dynamic_matmuls  # noqa: E402

IMAGE, PATCH, WIDTH, LAYERS, HEADS, MLP, EMBED = 224, 32, 768, 12, 12, 3072, 512
GRID = (IMAGE // PATCH) ** 2
TOKENS = GRID + 1
HEAD_DIM = WIDTH // HEADS
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def randn(rng, shape, std):
    return (rng.standard_normal(shape, dtype=np.float32) * np.float32(std)).astype(np.float32)


def build(rng):
    g = GraphBuilder('clip_vit_b32_vision')
    params = 0

    def count(*arrays):
        nonlocal params
        params += sum(a.size for a in arrays)

    def ones(n):
        return np.ones(n, np.float32)

    def zeros(n):
        return np.zeros(n, np.float32)

    pixels = g.input('pixel_values', FLOAT, ['batch_size', 3, IMAGE, IMAGE])
    conv = randn(rng, (WIDTH, 3, PATCH, PATCH), 0.02)
    class_embedding = randn(rng, (1, 1, WIDTH), 0.02)
    position = randn(rng, (TOKENS, WIDTH), 0.01)
    count(conv, class_embedding, position)
    x = g.op('Conv', [pixels, g.const(conv, 'embeddings.patch_embedding.weight')], base='embeddings.patch_embedding',
             kernel_shape=[PATCH, PATCH], strides=[PATCH, PATCH])
    x = g.op('Reshape', [x, g.const(np.array([0, WIDTH, GRID], np.int64), 'patches.shape')], base='patches.flatten')
    x = g.op('Transpose', [x], base='patches', perm=[0, 2, 1])
    # The class token, expanded to the dynamic batch size.
    batch = g.op('Slice', [g.op('Shape', [pixels], base='input_shape'), g.const(np.array([0], np.int64), 'zero'),
                           g.const(np.array([1], np.int64), 'one')], base='batch')
    cls_shape = g.op('Concat', [batch, g.const(np.array([1, WIDTH], np.int64), 'cls.tail')], base='cls.shape', axis=0)
    cls = g.op('Expand', [g.const(class_embedding, 'embeddings.class_embedding'), cls_shape], base='cls')
    x = g.op('Concat', [cls, x], base='embeddings.tokens', axis=1)
    x = g.op('Add', [x, g.const(position, 'embeddings.position_embedding')], base='embeddings')
    x = g.layer_norm(x, ones(WIDTH), zeros(WIDTH), base='pre_layrnorm')
    count(ones(WIDTH), zeros(WIDTH))

    head_shape = g.const(np.array([0, TOKENS, HEADS, HEAD_DIM], np.int64), 'heads.shape')
    merged_shape = g.const(np.array([0, TOKENS, WIDTH], np.int64), 'merged.shape')
    scale = g.const(np.array(HEAD_DIM ** -0.5, np.float32), 'attention.scale')
    for layer in range(LAYERS):
        p = f'encoder.layers.{layer}'
        weights = {name: randn(rng, shape, 0.02) for name, shape in
                   (('q', (WIDTH, WIDTH)), ('k', (WIDTH, WIDTH)), ('v', (WIDTH, WIDTH)), ('out', (WIDTH, WIDTH)),
                    ('fc1', (WIDTH, MLP)), ('fc2', (MLP, WIDTH)))}
        count(*weights.values(), zeros(4 * WIDTH + MLP + WIDTH), ones(4 * WIDTH))
        h = g.layer_norm(x, ones(WIDTH), zeros(WIDTH), base=f'{p}.layer_norm1')
        q = g.op('Mul', [g.linear(h, weights['q'], zeros(WIDTH), base=f'{p}.self_attn.q_proj'), scale],
                 base=f'{p}.self_attn.q_scaled')
        k = g.linear(h, weights['k'], zeros(WIDTH), base=f'{p}.self_attn.k_proj')
        v = g.linear(h, weights['v'], zeros(WIDTH), base=f'{p}.self_attn.v_proj')
        q = g.op('Transpose', [g.op('Reshape', [q, head_shape], base=f'{p}.q.heads')], base=f'{p}.q.t', perm=[0, 2, 1, 3])
        k = g.op('Transpose', [g.op('Reshape', [k, head_shape], base=f'{p}.k.heads')], base=f'{p}.k.t', perm=[0, 2, 3, 1])
        v = g.op('Transpose', [g.op('Reshape', [v, head_shape], base=f'{p}.v.heads')], base=f'{p}.v.t', perm=[0, 2, 1, 3])
        attn = g.op('Softmax', [g.op('MatMul', [q, k], base=f'{p}.scores')], base=f'{p}.softmax', axis=-1)
        o = g.op('Transpose', [g.op('MatMul', [attn, v], base=f'{p}.context')], base=f'{p}.context.t', perm=[0, 2, 1, 3])
        o = g.op('Reshape', [o, merged_shape], base=f'{p}.context.merged')
        o = g.linear(o, weights['out'], zeros(WIDTH), base=f'{p}.self_attn.out_proj')
        x = g.op('Add', [x, o], base=f'{p}.residual1')
        h = g.layer_norm(x, ones(WIDTH), zeros(WIDTH), base=f'{p}.layer_norm2')
        h = g.quick_gelu(g.linear(h, weights['fc1'], zeros(MLP), base=f'{p}.mlp.fc1'), base=f'{p}.mlp.act')
        h = g.linear(h, weights['fc2'], zeros(WIDTH), base=f'{p}.mlp.fc2')
        x = g.op('Add', [x, h], base=f'{p}.residual2')

    x = g.op('Gather', [x, g.const(np.array(0, np.int64), 'class_index')], base='pooled', axis=1)
    x = g.layer_norm(x, ones(WIDTH), zeros(WIDTH), base='post_layernorm')
    projection = randn(rng, (WIDTH, EMBED), WIDTH ** -0.5)
    count(ones(WIDTH), zeros(WIDTH), projection)
    g.linear(x, projection, base='visual_projection')
    g.nodes[-1].output[0] = 'image_embeds'
    g.output('image_embeds', FLOAT, ['batch_size', EMBED])
    return g.model('Random-weight CLIP ViT-B/32 vision tower (GLA Studio benchmark).'), params


VOCAB, CONTEXT = 49408, 77


def build_text(rng):
    """A light text tower with CLIP's text I/O and embedding width: the analysis benchmark needs zero-shot logits,
    and encoding a few dozen prompts is a negligible share of the run, so a full 12-layer transformer is not built."""
    g = GraphBuilder('clip_text_light')
    # Any length up to 77, as Hugging Face's exports take it: the positions are cut to the input's length.
    ids = g.input('input_ids', INT64, ['batch_size', 'sequence_length'])
    g.input('attention_mask', INT64, ['batch_size', 'sequence_length'])
    x = g.op('Gather', [g.const(randn(rng, (VOCAB, EMBED), 0.02), 'token_embedding'), ids], base='token_embed', axis=0)
    length = g.op('Gather', [g.op('Shape', [ids], base='ids.shape'), g.const(np.array([1], np.int64), 'length.axis')],
                  base='length', axis=0)
    zero = g.const(np.array([0], np.int64), 'zero')
    positions = g.op('Slice', [g.const(randn(rng, (CONTEXT, EMBED), 0.01), 'position_embedding'), zero, length, zero],
                     base='positions')
    x = g.op('Add', [x, positions], base='embed')
    x = g.layer_norm(x, np.ones(EMBED, np.float32), np.zeros(EMBED, np.float32), base='final_layer_norm')
    # Pool at the end-of-text token, the highest id in each row, as CLIP does.
    eot = g.op('ArgMax', [g.op('Cast', [ids], base='ids.int32', to=6)], base='eot_index', axis=1, keepdims=1)
    x = g.op('GatherND', [x, eot], base='pooled', batch_dims=1)
    g.linear(x, randn(rng, (EMBED, EMBED), EMBED ** -0.5), base='text_projection')
    g.nodes[-1].output[0] = 'text_embeds'
    g.output('text_embeds', FLOAT, ['batch_size', EMBED])
    return g.model('Light random-weight CLIP text tower (GLA Studio benchmark).')


def write_json(path, value):
    with open(path, 'w') as f:
        json.dump(value, f, indent=2)
        f.write('\n')


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, 'bench-data', 'vit-b32'))
    tmp = f'{out}.tmp-{os.getpid()}'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, 'onnx'))
    t0 = time.time()
    model, params = build(np.random.default_rng(32))
    fp32 = os.path.join(tmp, 'onnx', 'vision_model.onnx')
    onnx.save(model, fp32)
    t1 = time.time()
    quantized = os.path.join(tmp, 'onnx', 'vision_model_quantized.onnx')
    onnx.save(quantize_dynamic_matmuls(model), quantized)
    t2 = time.time()
    onnx.save(build_text(np.random.default_rng(77)), os.path.join(tmp, 'onnx', 'text_model.onnx'))
    # The real CLIP vocabulary, for prompts; it stays in the git-ignored bench-data folder.
    shutil.copy(os.path.join(REPO, '..', 'shared', 'clip', 'bpe_simple_vocab_16e6.txt.gz'), tmp)
    write_json(os.path.join(tmp, 'preprocessor_config.json'), {
        'crop_size': {'height': IMAGE, 'width': IMAGE}, 'do_center_crop': True, 'do_convert_rgb': True,
        'do_normalize': True, 'do_rescale': True, 'do_resize': True, 'image_mean': CLIP_MEAN,
        'image_processor_type': 'CLIPImageProcessor', 'image_std': CLIP_STD, 'resample': 3,
        'rescale_factor': 1 / 255, 'size': {'shortest_edge': IMAGE}})
    write_json(os.path.join(tmp, 'config.json'), {
        '_name_or_path': 'gla-studio/random-vit-b32', 'model_type': 'clip', 'projection_dim': EMBED,
        'vision_config': {'hidden_size': WIDTH, 'image_size': IMAGE, 'patch_size': PATCH, 'num_hidden_layers': LAYERS,
                          'num_attention_heads': HEADS, 'intermediate_size': MLP, 'hidden_act': 'quick_gelu'}})
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    os.rename(tmp, out)
    mib = lambda p: os.path.getsize(p.replace(tmp, out)) / 2 ** 20  # noqa: E731
    print(f'vit-b32: {params / 1e6:.1f}M parameters -> {out}')
    print(f'  onnx/vision_model.onnx            {mib(fp32):7.1f} MiB  built in {t1 - t0:.1f} s')
    print(f'  onnx/vision_model_quantized.onnx  {mib(quantized):7.1f} MiB  quantized in {t2 - t1:.1f} s')


if __name__ == '__main__':
    main()
