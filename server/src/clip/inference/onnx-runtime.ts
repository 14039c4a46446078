// The one importer of onnxruntime-node, as transformers.js keeps its backend in one module. It loads on first use,
// so parsing a request, checking a gla.yaml or starting the language server never loads the native binding.
import type * as OrtModule from 'onnxruntime-node';

export type * as Ort from 'onnxruntime-node';
export type OnnxRuntime = typeof OrtModule;

// onnxruntime's own log repeats provider failures in red on stderr; we report those once, in one line.
// GLA_ORT_LOG_LEVEL=warning (or verbose) brings its log back for debugging.
const ORT_LOG_LEVELS = ['verbose', 'info', 'warning', 'error', 'fatal'] as const;

let loaded: OnnxRuntime | undefined;

/** onnxruntime-node, loaded (and its log level set) the first time anything needs it. */
export function onnxRuntime(): OnnxRuntime {
  if (!loaded) {
    loaded = require('onnxruntime-node') as OnnxRuntime;
    const requested = process.env.GLA_ORT_LOG_LEVEL as (typeof ORT_LOG_LEVELS)[number] | undefined;
    loaded.env.logLevel = requested && ORT_LOG_LEVELS.includes(requested) ? requested : 'fatal';
  }
  return loaded;
}
