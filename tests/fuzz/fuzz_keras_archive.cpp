// The zip container of a Keras 3 .keras file as the tools open it (libzip, in memory), up to the
// three members they take out: which entries are refused (paths leaving the archive, duplicates,
// encryption), and that what comes out never exceeds the size limits, whatever the directory
// claims. The members' contents have their own targets: keras_config (config.json) and keras_h5
// (HDF5, the same reading as model.weights.h5).
#include <cstddef>
#include <cstdint>

#include "core/errors.h"
#include "export/keras_archive.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const mnist::KerasArchiveMembers members =
        mnist::read_keras_archive_members(mnist::fuzz::as_text(data, size), "fuzz.keras");
    mnist::fuzz::require(members.config_json.size() <= mnist::kMaxKerasConfigBytes &&
                             members.metadata_json.size() <= mnist::kMaxKerasConfigBytes,
                         "config.json and metadata.json within their limit");
    mnist::fuzz::require(members.weights_h5.size() <= mnist::kMaxKerasWeightsBytes,
                         "model.weights.h5 within its limit");
  } catch (const mnist::RuntimeError&) {
  }
  return 0;
}
