// Sinusoid regression tasks (Finn et al. 2017, §5.1), generated on the fly.
#pragma once

#include <cstdint>
#include <vector>

#include "cezanne/data/Episode.hpp"
#include "cezanne/data/EpisodeSource.hpp"
#include "cezanne/data/Split.hpp"
#include "cezanne/nn/MLP.hpp"

namespace cz::learn {

/// Ranges of the task family: y = amplitude * sin(x - phase).
struct SinusoidSpec {
  int shots = 10;    ///< K support points
  int queries = 10;  ///< Q query points
  double amplitude_low = 0.1, amplitude_high = 5.0;
  double phase_low = 0.0, phase_high = 3.141592653589793;
  double x_low = -5.0, x_high = 5.0;
};

/// One task's draw.
struct SinusoidTask {
  double amplitude = 0, phase = 0;
};

/// Each task is a pure function of (seed, split, step, task index): the stream
/// CounterRng(mix_key({seed, split, step, task_index})) draws, in this order, the amplitude,
/// the phase, the K support x's and the Q query x's (uniform in their ranges). The split
/// keeps meta-test tasks apart from meta-training ones (different streams; the task family is
/// the same, as in the MAML paper). Episodes are regression episodes: support [K, 1] (f32),
/// support_labels = targets [K, 1] (f32), query [Q, 1], query_labels [Q, 1]; classes and
/// rotations are empty.
class SinusoidTasks final : public data::EpisodeSource {
 public:
  /// Throws std::invalid_argument on shots < 1, queries < 1 or an empty/inverted range.
  SinusoidTasks(SinusoidSpec spec, uint64_t seed, data::Split split = data::Split::train);

  SinusoidTask task(int64_t step, int64_t task_index) const;
  data::Episode sample(int64_t step, int64_t task_index) const override;
  /// Row t equals sample(step, task_indices[t]).
  data::EpisodeBatch sample_batch(int64_t step, const std::vector<int64_t>& task_indices) const override;

  const SinusoidSpec& spec() const { return spec_; }
  uint64_t seed() const { return seed_; }
  data::Split split() const { return split_; }

  /// The paper's regressor: MLP 1-40-40-1 with relu.
  static nn::MLP model();

 private:
  void fill(int64_t step, int64_t task_index, float* sx, float* sy, float* qx, float* qy) const;
  SinusoidSpec spec_;
  uint64_t seed_;
  data::Split split_;
};

}  // namespace cz::learn
