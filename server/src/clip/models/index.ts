// clip/models' one public face. The request "id or folder → a ready model folder" is resolveModel: a folder is read as
// is (model-folder); a known id is looked up (registry), found in the cache (model-cache) or fetched (model-download),
// then read the same way. Everything else here serves `gla model` (list, download, verify) and gla.yaml's editor help.
export { resolveModel, type ModelFolder, type ResolveModelOptions, type TokenizerFiles } from './model-folder';
export { MODEL_VARIANTS, filesFor, findModel, isModelVariant, listModels, type ModelEntry, type ModelVariant } from './registry';
export { cachedVariants, modelCacheDir } from './model-cache';
export { describeHub, downloadModel, type ModelDownloadProgress } from './model-download';
export { verifyModelFolder, type ModelVerification, type TowerReport } from './model-verify';
export { nearbyModelFolders, towersIn } from './nearby-models';
export { expectedTowerPath, findTower } from './model-layout';
