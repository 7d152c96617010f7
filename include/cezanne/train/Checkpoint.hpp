// Checkpoints: one HDF5 file per saved training state, written atomically and verified on read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cezanne/data/StoreFingerprint.hpp"
#include "cezanne/tensor/Tensor.hpp"

namespace cz::train {

/// A damaged, truncated, unreadable or incompatible checkpoint file, or one that cannot be
/// written. what() is one line that starts with the file's path:
/// "<path>: damaged checkpoint: <detail>", "<path>: not a cezanne checkpoint ...",
/// "<path>: cannot write checkpoint: <detail>", ...
struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Everything needed to continue a training run exactly. Episodes, initialization and noise
/// are pure functions of (seed, step), so those two are the sampler counters and RNG state.
struct Checkpoint {
  int64_t step = 0;       ///< meta-steps completed (>= 0)
  uint64_t seed = 0;      ///< the run's seed
  int64_t ranks = 1;      ///< ranks that wrote it (>= 1)
  std::string algorithm;  ///< learner name, e.g. "protonet"
  std::string model;      ///< model description, e.g. "conv4 filters=64 channels=1 image=28 ways=5"
  std::string version;    ///< code version (git describe) of the writer
  /// The run's options, key -> value, in order.
  std::vector<std::pair<std::string, std::string>> config;
  /// Parameter name -> tensor, in parameter order. Names are non-empty, unique and contain no
  /// '/' (e.g. "block0.conv.weight"). Tensors of any dtype (f32, f64, i64) and rank (0-d too);
  /// read back as contiguous CPU tensors.
  std::vector<std::pair<std::string, Tensor>> params;
  std::string optimizer;        ///< e.g. "Adam"
  int64_t optimizer_steps = 0;  ///< Optimizer::step_count() (>= 0)
  /// Optimizer::state() entries (e.g. exp_avg, exp_avg_sq: flat f32/f64; step: i64), same
  /// naming rules as params.
  std::vector<std::pair<std::string, Tensor>> optimizer_state;
  /// The store the run trained on (absent for sinusoid runs and for checkpoints written before
  /// it was recorded): `eval` and `train --resume` compare their store with it.
  std::optional<data::StoreFingerprint> store;
  /// The objective's persistent state (design §2: task weights, running estimates, later a
  /// momentum encoder and a queue), same naming rules as params; empty for objectives without.
  std::vector<std::pair<std::string, Tensor>> state;
};

/// Writes `c` to `path` atomically: to "<path>.tmp-<pid>" in the same directory (every
/// dataset chunked with Fletcher32, plus a CRC-32 attribute over the whole content), flushed,
/// closed and fsynced, renamed over `path`, then the directory is fsynced. On failure the
/// temporary is removed and CheckpointError ("<path>: cannot write checkpoint: ...") thrown;
/// an existing file at `path` is left as it was. One writer per path at a time.
void write_checkpoint(const std::filesystem::path& path, const Checkpoint& c);

/// Reads `path` and verifies it (Fletcher32 on every dataset read, then the content CRC).
/// Throws CheckpointError: "<path>: damaged checkpoint: <detail>" when the file is empty,
/// truncated, fails to open, a dataset fails its checksum or the content checksum differs;
/// "<path>: not a cezanne checkpoint ..." when it is not HDF5 or lacks the format marker;
/// "<path>: cannot read checkpoint: ..." when it is missing or unreadable, or of another format
/// version.
Checkpoint read_checkpoint(const std::filesystem::path& path);

/// The checkpoints of a run directory: files named checkpoint-<step, 8 or more digits>.h5.
class CheckpointDir {
 public:
  /// `keep` >= 1 (else std::invalid_argument): how many checkpoints save() leaves.
  CheckpointDir(std::filesystem::path dir, int keep);

  const std::filesystem::path& dir() const { return dir_; }

  /// Creates the directory if needed, writes checkpoint-<step>.h5 (write_checkpoint), then
  /// removes the others except the newest keep-1: the file just written always stays, even
  /// when a damaged checkpoint of a later step is still there. Returns the path written.
  /// Throws CheckpointError.
  std::filesystem::path save(const Checkpoint& c) const;

  /// Existing checkpoint files, newest (highest step) first; empty when the directory does
  /// not exist. Ignores temporaries (*.tmp-*) and other names.
  std::vector<std::filesystem::path> list() const;

  /// The newest checkpoint that reads and verifies. Each one that does not adds one line to
  /// `warnings`: "<file>: damaged checkpoint (<detail>); using the previous one" (or "; no
  /// older checkpoint left" for the oldest). std::nullopt when none exists or none verifies.
  std::optional<std::pair<std::filesystem::path, Checkpoint>> load_newest(
      std::vector<std::string>* warnings = nullptr) const;

 private:
  std::filesystem::path dir_;
  int keep_;
};

}  // namespace cz::train
