// The metadata a checkpoint carries as JSON text: the identity of the run that wrote it (the
// options that must match for a resume to continue that run) and its epoch history. Parsed
// without LibTorch, so that the text read from a checkpoint is fuzzed like every other input.
// Not for: which options make up the identity (train/resume_state.h), the tensors (train/trainer.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/training_observer.h"

namespace mnist {

// {"identity": <identity_json>, "history": [one object per epoch]}.
std::string checkpoint_metadata_text(const std::string& identity_json, const std::vector<EpochReport>& history);

// The history stored in `metadata`, after checking that the stored identity equals `asked_identity_json`
// and that it holds `epochs_done` epochs. Throws UsageError naming each option that differs
// (the run asked for something else), RuntimeError naming `checkpoint_name` when the text is not
// such metadata.
std::vector<EpochReport> checkpoint_history(const std::string& metadata, const std::string& asked_identity_json,
                                            int64_t epochs_done, const std::string& checkpoint_name);

}  // namespace mnist
