// How the learning rate moves over a run. Header only and free of LibTorch, so that the
// options of mnist-train can name a schedule without pulling in the trainer.
#pragma once

#include <string>

namespace mnist {

enum class LrSchedule {
  kConstant,  // the original Keras recipe
  kCosine,    // from the peak rate down to 0 over the run's epochs, one step per epoch
};

inline std::string to_string(LrSchedule schedule) {
  return schedule == LrSchedule::kCosine ? "cosine" : "constant";
}

}  // namespace mnist
