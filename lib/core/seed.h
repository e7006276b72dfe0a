// Reproducible randomness: every random stream of a run (shuffling, dropout, augmentation)
// derives its seed from the run's --seed, the epoch and its purpose alone, so that a run
// resumed at any point draws exactly what an uninterrupted one draws.
// Not for: the generators themselves (the trainer and the augmentation own theirs).
#pragma once

#include <cstdint>

namespace mnist {

// splitmix64's finaliser: a bijection of 64-bit values that scatters nearby inputs.
constexpr uint64_t mix_bits(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Weyl-sequence increment of splitmix64 (2^64 / golden ratio).
inline constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

enum class SeedPurpose : uint64_t { kShuffle = 0, kDropout = 1, kAugmentation = 2 };

// The seed of one purpose's stream in one epoch (1-based) of a run seeded with `seed`.
constexpr uint64_t derive_seed(uint64_t seed, SeedPurpose purpose, int64_t epoch) {
  // Four stream slots per epoch; one is spare.
  return mix_bits(seed + kGoldenGamma * (static_cast<uint64_t>(epoch) * 4 +
                                         static_cast<uint64_t>(purpose) + 1));
}

// The seed of item `index` of a stream seeded with `stream_seed` (one image's augmentation).
constexpr uint64_t derive_item_seed(uint64_t stream_seed, uint64_t index) {
  return mix_bits(stream_seed ^ mix_bits(index + kGoldenGamma));
}

}  // namespace mnist
