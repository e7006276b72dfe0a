// CSV training log; see train_log.h.
#include "train_log.h"

#include <cstdio>
#include <string>

#include "atomic_file.h"

namespace mnist {

void write_train_log(const std::filesystem::path& path, const std::vector<EpochReport>& history) {
  std::string text = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy,seconds\n";
  for (const auto& r : history) {
    char row[256];
    if (r.has_validation) {
      std::snprintf(row, sizeof row, "%lld,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f\n",
                    static_cast<long long>(r.epoch), r.train_loss, r.train_accuracy, r.val_loss,
                    r.val_accuracy, r.test_loss, r.test_accuracy, r.seconds);
    } else {
      std::snprintf(row, sizeof row, "%lld,%.6f,%.6f,,,%.6f,%.6f,%.3f\n",
                    static_cast<long long>(r.epoch), r.train_loss, r.train_accuracy, r.test_loss,
                    r.test_accuracy, r.seconds);
    }
    text += row;
  }
  write_text_atomically(path, text);
}

}  // namespace mnist
