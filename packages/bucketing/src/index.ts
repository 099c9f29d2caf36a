export { FNV_OFFSET_BASIS, FNV_PRIME, fnv1a32, fnv1a32Decimal, fnv1aUpdate } from './fnv.js'
export { HASH_VERSION, hash, hashV1, hashV2 } from './hash.js'
export {
  bucketRangesFromSplits,
  clampCoverage,
  getBucketRanges,
  getEqualWeights,
  weightsUsable,
  type BucketRange,
} from './ranges.js'
export { assignVariant, chooseVariation, experimentSeed, variantIndexFor, type AssignInput } from './choose.js'
