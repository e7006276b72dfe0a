// Comparing two models parameter by parameter, to the bit: what determinism and resume promise.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace mnist::test {

inline void expect_identical_parameters(torch::nn::Sequential& a, torch::nn::Sequential& b) {
  const auto pa = a->named_parameters();
  const auto pb = b->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) {
    EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key() << " differs";
  }
}

}  // namespace mnist::test
